-- wrk script for the confirm path: every request pays a different open session with the 4242 test
-- card, as the checkout page's form does. The session ids come from IDS_FILE; each of THREADS threads
-- takes every THREADS-th one, so no session is paid twice.
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
end

function init(args)
  local all = {}
  for line in io.lines(os.getenv("IDS_FILE")) do
    all[#all + 1] = line
  end
  local threads = tonumber(os.getenv("THREADS"))
  ids = {}
  for i = index + 1, #all, threads do
    ids[#ids + 1] = all[i]
  end
  next_id = 1
  ran_out = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Accept"] = "application/json"
end

function request()
  local id = ids[next_id]
  if id == nil then
    ran_out = ran_out + 1
    id = ids[#ids]
  else
    next_id = next_id + 1
  end
  local body = "session_id=" .. id
    .. "&email=buyer%40example.com&country=US&postal_code=94107&payment_method_type=card"
    .. "&card_number=4242424242424242&card_exp=12%2F34&card_cvc=123"
  return wrk.format(nil, "/api/checkout/confirm", nil, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "socket_errors": %d, "non_2xx": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write + errors.timeout, errors.status))
end
