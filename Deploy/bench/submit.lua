-- wrk: POST /v1/results, each request a new submitted result of one of the benchmark's commune
-- officers (token, commune, indicator), with a value and a quarter of 2025 that vary.
local clients = {}
local n = 0

function init(args)
  for line in io.lines(args[1]) do
    local token, unit, indicator = line:match("^(%S+)%s+(%d+)%s+(%d+)$")
    if token then
      n = n + 1
      clients[n] = { token = token, unit = unit, indicator = indicator }
    end
  end
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

local quarters = { { "2025-01-01", "2025-03-31" }, { "2025-04-01", "2025-06-30" }, { "2025-07-01", "2025-09-30" }, { "2025-10-01", "2025-12-31" } }

function request()
  local c = clients[math.random(n)]
  local q = quarters[math.random(4)]
  local body = string.format(
    '{"indicator_id":%s,"unit_id":%s,"period_start":"%s","period_end":"%s","value":%d,"evidence_note":"Biên bản họp tổ","submit":true}',
    c.indicator, c.unit, q[1], q[2], math.random(0, 5))
  return wrk.format("POST", "/v1/results", { ["Authorization"] = "Bearer " .. c.token, ["Content-Type"] = "application/json" }, body)
end

-- A delay (ms) between a connection's requests, to hold a rate below the maximum.
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if pause > 0 then
  function delay() return pause end
end

local failures = 0
function response(status, headers, body)
  if status ~= 201 then
    failures = failures + 1
    if failures <= 3 then io.stderr:write("unexpected " .. status .. ": " .. body .. "\n") end
  end
end
