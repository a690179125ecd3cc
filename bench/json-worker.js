'use strict'
// bench:json's piscina task: JSON.parse in a worker. The document comes as a moved ArrayBuffer (no copy);
// the parsed value goes back by structured clone, which the main thread deserializes.
module.exports = (bytes) => JSON.parse(Buffer.from(bytes).toString('utf8'))
