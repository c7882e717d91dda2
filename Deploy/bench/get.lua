-- wrk: GET one path (BENCH_PATH) with one header (BENCH_HEADER, "Name: value"): a page with its
-- session cookie, or a JSON route with its bearer token. BENCH_DELAY_MS paces each connection.
local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
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

common.pace()
response = common.expect(200, false)
