-- wrk script: a pause between the requests of each connection (milliseconds, first script
-- argument, default 50). Unpaced wrk on three hosts saturates a small shared machine and
-- stretches the deploy it measures; paced keep-alive connections also sit idle between
-- requests, as a browser's do, which is when an nginx reload closes them.
local pause_ms = 50

function init(args)
  pause_ms = tonumber(args[1]) or pause_ms
end

function delay()
  return pause_ms
end
