'use strict'
// The `compression` package's own test suite (test/compression.js, expressjs/compression v1.8.1, MIT:
// see LICENSE here) requires its package as `require('..')`: this file stands in for it, so the suite
// runs unchanged against offthread's compression(). `npm run test:compression` runs it with the
// package's pinned mocha (9.2.2) and supertest (6.3.4).
module.exports = require('../..').compression
