-- What the wrk scripts of this folder share: the pace of a connection (BENCH_DELAY_MS) and a
-- count of the answers that were not the expected status, the first three told on stderr.
-- A script loads it from its own folder:
--   local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
local common = {}

-- Defines wrk's `delay` when BENCH_DELAY_MS asks for a pause (ms) between a connection's
-- requests, to hold a rate below the maximum.
function common.pace()
  local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
  if pause > 0 then
    delay = function() return pause end
  end
end

-- A wrk `response` that counts the answers other than `expected`; `with_body` adds the
-- answer's body to the line told.
function common.expect(expected, with_body)
  local failures = 0
  return function(status, headers, body)
    if status ~= expected then
      failures = failures + 1
      if failures <= 3 then
        io.stderr:write("unexpected " .. status .. (with_body and (": " .. body) or "") .. "\n")
      end
    end
  end
end

-- The captures of `pattern` on each line of a file that matches it (e.g. the tokens a benchmark
-- set up), as one list a line; also seeds this thread's random numbers.
function common.lines(file, pattern)
  local rows = {}
  for line in io.lines(file) do
    local row = { line:match(pattern) }
    if row[1] then rows[#rows + 1] = row end
  end
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
  return rows
end

return common
