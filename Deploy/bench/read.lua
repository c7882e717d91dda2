-- wrk: GET /v1/progress of 2024 in phase 2021-2025, as one of the benchmark's commune officers:
-- the completion of the officer's commune for every indicator.
local tokens = {}
local n = 0

function init(args)
  for line in io.lines(args[1]) do
    local token = line:match("^(%S+)")
    if token then
      n = n + 1
      tokens[n] = token
    end
  end
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

function request()
  return wrk.format("GET", "/v1/progress?phase=2021-2025&year=2024", { ["Authorization"] = "Bearer " .. tokens[math.random(n)] })
end

local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if pause > 0 then
  function delay() return pause end
end

local failures = 0
function response(status, headers, body)
  if status ~= 200 then
    failures = failures + 1
    if failures <= 3 then io.stderr:write("unexpected " .. status .. ": " .. body .. "\n") end
  end
end
