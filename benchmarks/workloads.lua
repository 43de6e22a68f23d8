-- wrk script: the benchmark's workloads (valid calls), chosen by environment variables.
--   BENCH_WORKLOAD  "repeat": 5 bots over one fixed 7-day range, the same few URLs again and again;
--                   "repeat30": the same, over 30 days written as date-times (a client's other spelling);
--                   "spread": a random bot among 1,000 and a random start day within a year, 7-day
--                   ranges, so nearly every request asks for data not generated before.
--                   "heavy-chatcaptain": an overview with all 17 components over 30 days, daily, of a
--                   random chatbot among 1,000; "heavy-chatbotcom": conversations per hour and source
--                   over 30 days (5,040 points); "heavy-generalbots": daily usage over a year. Each a
--                   random start day within the same year, so most answers are worked out afresh (the
--                   license's and the instance's days are kept between requests, as for users).
--   BENCH_WINDOW    days in each spread range (default 7; the 200-connection tail run uses 30).
--   BENCH_PREFIX    path prefix of the Botpress API on the server ("/botpress" on the mock, "" on Prism).
--   BENCH_SEED      seed of the spread draws, so every server gets the same sequence (each wrk thread
--                   adds its own index, so several threads do not send the same sequence).
-- done() prints one line "BENCH {json}" that the harness parses: wrk's own text is for people.

local workload = os.getenv("BENCH_WORKLOAD") or "repeat"
local prefix = os.getenv("BENCH_PREFIX") or ""
local seed = tonumber(os.getenv("BENCH_SEED") or "1")
local window = tonumber(os.getenv("BENCH_WINDOW") or "7")

local BOTS = 1000
local DAYS = 365
local FIRST_DAY = 1714521600 -- 2024-05-01T00:00:00Z: the last range ends 2025-05-06, before the fixed clock
local DAY = 86400

local headers = { ["Authorization"] = "Bearer t", ["x-workspace-id"] = "wkspace_1", ["x-chatcaptain-key"] = "k" }
local COMPONENTS = "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16"
local fixed = {}
local next_index = 1
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("index", threads)
end

local function path(bot, start, days)
  return string.format("%s/v1/admin/bots/bot_%d/analytics?startDate=%s&endDate=%s", prefix, bot,
    os.date("!%Y-%m-%d", start), os.date("!%Y-%m-%d", start + (days - 1) * DAY))
end

local function path_dt(bot, start, days)
  return string.format("%s/v1/admin/bots/bot_%d/analytics?startDate=%s&endDate=%s", prefix, bot,
    os.date("!%Y-%m-%dT00:00:00.000Z", start), os.date("!%Y-%m-%dT23:59:59.999Z", start + (days - 1) * DAY))
end

function init(args)
  math.randomseed(seed * 1000 + (wrk.thread:get("index") or 1))
  for bot = 1, 5 do
    -- 2025-01-01 .. 2025-01-07
    if workload == "repeat30" then
      fixed[bot] = wrk.format("GET", path_dt(bot, 1735689600, 30), headers)
    else
      fixed[bot] = wrk.format("GET", path(bot, 1735689600, 7), headers)
    end
  end
end

local function day(t)
  return os.date("!%Y-%m-%d", t)
end

local function heavy(start)
  if workload == "heavy-chatbotcom" then
    return string.format("/chatbotcom/reports/conversations?from=%s&to=%s&dimension=hour&group=source",
      day(start), day(start + 29 * DAY))
  elseif workload == "heavy-generalbots" then
    return string.format("/generalbots/api/v1/analytics/usage/daily?start_date=%s&end_date=%s",
      day(start), day(start + 364 * DAY))
  end
  return string.format(
    "/chatcaptain/v1/chatbots/cb_%d/statistics/reports/overview?from=%sT00:00:00.000Z&to=%sT23:59:59.999Z" ..
    "&interval=86400&components=%s", math.random(1, 1000), day(start), day(start + 29 * DAY), COMPONENTS)
end

function request()
  if string.sub(workload, 1, 6) == "heavy-" then
    return wrk.format("GET", heavy(FIRST_DAY + (math.random(1, DAYS) - 1) * DAY), headers)
  end
  if workload == "spread" then
    local bot = math.random(1, BOTS)
    local start = FIRST_DAY + (math.random(1, DAYS) - 1) * DAY
    return wrk.format("GET", path(bot, start, window), headers)
  end
  local req = fixed[next_index]
  next_index = next_index % #fixed + 1
  return req
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %.1f, "p99_us": %.1f, ' ..
    '"max_us": %.1f, "connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
    '"status_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
