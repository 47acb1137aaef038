#!/usr/bin/env node
'use strict';
// Each GStreamer pipeline holds libuv pool threads while it waits for buffers and bus messages; the
// default pool of 4 would starve file and DNS work with two sources. libuv reads this variable when
// it first starts the pool, so it is set here, in a CommonJS entry that has not used the pool yet.
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '64';
import('../dist/src/cli/main.js').catch((err) => {
  process.stderr.write(`affectstream: cannot start: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
