-- wrk: GET /v1/progress of 2024 in phase 2021-2025, as one of the benchmark's commune officers:
-- the completion of the officer's commune for every indicator.
local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
local tokens = {}

function init(args)
  tokens = common.lines(args[1], "^(%S+)")
end

function request()
  return wrk.format("GET", "/v1/progress?phase=2021-2025&year=2024", { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)][1] })
end

common.pace()
response = common.expect(200, true)
