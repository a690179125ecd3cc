'use strict'
// The demo's user table (username -> stored hash) shared by the cluster's workers. The Express demo
// keeps it in a Map in its one process; here each worker keeps a copy, and the primary relays every
// change to the others (and hands the whole table to a worker that starts late or restarts).
// A signup reaches the other workers one IPC hop later (well under a millisecond here): a login sent
// to another worker in that instant answers 401. A real service keeps users in its database.

const cluster = require('node:cluster')

const SET = 'offthread-demo:users:set'
const SNAPSHOT = 'offthread-demo:users:snapshot'

/** In a worker: a Map whose set() reaches every other worker through the primary. */
class SharedUsers extends Map {
  constructor () {
    super()
    process.on('message', (m) => {
      if (m?.type === SET) super.set(m.username, m.hash)
      if (m?.type === SNAPSHOT) for (const [u, h] of m.users) if (!super.has(u)) super.set(u, h)
    })
  }

  set (username, hash) {
    super.set(username, hash)
    process.send({ type: SET, username, hash })
    return this
  }
}

/** In the primary: keeps the table and relays each worker's changes to the others. */
function relayUsers () {
  const users = new Map()
  cluster.on('online', (worker) => worker.send({ type: SNAPSHOT, users: [...users] }))
  cluster.on('message', (from, m) => {
    if (m?.type !== SET) return
    users.set(m.username, m.hash)
    for (const w of Object.values(cluster.workers)) if (w !== from && w.isConnected()) w.send(m)
  })
  return users
}

module.exports = { SharedUsers, relayUsers }
