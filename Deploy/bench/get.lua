-- wrk: GET one path (BENCH_PATH) with one header (BENCH_HEADER, "Name: value"): a page with its
-- session cookie, or a JSON route with its bearer token. BENCH_DELAY_MS paces each connection.
local path = os.getenv("BENCH_PATH") or "/"
local headers = {}
local header = os.getenv("BENCH_HEADER")
if header then
  local name, value = header:match("^([^:]+):%s*(.*)$")
  headers[name] = value
end

function request()
  return wrk.format("GET", path, headers)
end

local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if pause > 0 then
  function delay() return pause end
end

local failures = 0
function response(status, headers, body)
  if status ~= 200 then
    failures = failures + 1
    if failures <= 3 then io.stderr:write("unexpected " .. status .. "\n") end
  end
end
