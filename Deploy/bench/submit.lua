-- wrk: POST /v1/results, each request a new submitted result of one of the benchmark's commune
-- officers (token, commune, indicator), with a value and a quarter of 2025 that vary.
local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
local clients = {}

function init(args)
  clients = common.lines(args[1], "^(%S+)%s+(%d+)%s+(%d+)$")
end

local quarters = { { "2025-01-01", "2025-03-31" }, { "2025-04-01", "2025-06-30" }, { "2025-07-01", "2025-09-30" }, { "2025-10-01", "2025-12-31" } }

function request()
  local c = clients[math.random(#clients)]
  local token, unit, indicator = c[1], c[2], c[3]
  local q = quarters[math.random(4)]
  local body = string.format(
    '{"indicator_id":%s,"unit_id":%s,"period_start":"%s","period_end":"%s","value":%d,"evidence_note":"Biên bản họp tổ","submit":true}',
    indicator, unit, q[1], q[2], math.random(0, 5))
  return wrk.format("POST", "/v1/results", { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end

common.pace()
response = common.expect(201, true)
