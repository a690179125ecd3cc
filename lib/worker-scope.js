'use strict'
// The check behind run(fn): a function travels to a worker as its source text, so its closure does
// not travel. A free identifier that is not a global of the worker would either throw ReferenceError
// there or, worse, resolve to something else; it is refused at the call, naming every such identifier.
// Parsing uses acorn (the parser of webpack, rollup and eslint's espree).

const { codedError, invalidType } = require('./errors')

/** Names a worker thread resolves as globals: Node's globals (workers have the same set) and their prototypes'. */
function globalNames () {
  // `require` is given to fn by the worker (resolving from process.cwd()); `arguments` is a function's own.
  const names = new Set(['arguments', 'require'])
  for (let o = globalThis; o !== null; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) names.add(name)
  }
  return names
}
const GLOBALS = globalNames()

/** Identifiers a pattern (a parameter, a declaration's target) declares. */
function declare (pattern, into) {
  if (pattern === null || pattern === undefined) return
  switch (pattern.type) {
    case 'Identifier': into.add(pattern.name); break
    case 'ObjectPattern': for (const p of pattern.properties) declare(p.type === 'RestElement' ? p.argument : p.value, into); break
    case 'ArrayPattern': for (const e of pattern.elements) declare(e, into); break
    case 'AssignmentPattern': declare(pattern.left, into); break
    case 'RestElement': declare(pattern.argument, into); break
  }
}

/** True when the Identifier at `parent[key]` is a name (a property, a label), not a variable reference. */
function notAReference (parent, key) {
  switch (parent.type) {
    case 'MemberExpression': return key === 'property' && !parent.computed
    case 'Property': case 'MethodDefinition': case 'PropertyDefinition': return key === 'key' && !parent.computed
    case 'LabeledStatement': case 'BreakStatement': case 'ContinueStatement': return key === 'label'
    case 'MetaProperty': return true
    default: return false
  }
}

/**
 * Every identifier the function's body reads that none of its own declarations (at any depth) binds.
 * Declarations are collected without scopes: a name bound somewhere inside counts as bound everywhere,
 * so a rare free use beside an inner binding of the same name is not reported.
 */
function freeNames (ast) {
  const declared = new Set()
  const used = new Set()
  const visit = (node, parent, key) => {
    switch (node.type) {
      case 'Identifier': if (parent === null || !notAReference(parent, key)) used.add(node.name); return
      case 'VariableDeclarator': declare(node.id, declared); break
      case 'FunctionDeclaration': case 'FunctionExpression': case 'ArrowFunctionExpression':
        declare(node.id, declared)
        for (const p of node.params) declare(p, declared)
        break
      case 'ClassDeclaration': case 'ClassExpression': declare(node.id, declared); break
      case 'CatchClause': declare(node.param, declared); break
    }
    for (const k of Object.keys(node)) {
      const child = node[k]
      if (Array.isArray(child)) {
        for (const c of child) if (c !== null && typeof c === 'object' && typeof c.type === 'string') visit(c, node, k)
      } else if (child !== null && typeof child === 'object' && typeof child.type === 'string') {
        visit(child, node, k)
      }
    }
  }
  visit(ast, null, null)
  return [...used].filter((name) => !declared.has(name)).sort()
}

function parse (source) {
  const acorn = require('acorn') // loaded on the first run(fn), not with offthread
  return acorn.parseExpressionAt(source, 0, { ecmaVersion: 'latest' })
}

const checked = new WeakMap()

/**
 * The expression a worker evaluates to get `fn` back, after checking that it can travel: a function
 * expression, arrow or method (not a class, a bound or a native function), whose free identifiers are
 * all worker globals. Throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE naming what is wrong.
 */
function portable (fn) {
  if (typeof fn !== 'function') throw invalidType('fn', 'function', fn)
  const known = checked.get(fn)
  if (known !== undefined) return known
  const source = Function.prototype.toString.call(fn)
  if (/^class\b/.test(source)) throw codedError('ERR_INVALID_ARG_VALUE', 'Expected a function for fn but received a class')
  if (/\{\s*\[native code\]\s*\}$/.test(source)) {
    throw codedError('ERR_INVALID_ARG_VALUE', 'Expected a function with JavaScript source for fn but received a native or bound function')
  }
  let expression = `(${source})`
  let ast
  try {
    ast = parse(expression)
  } catch {
    // A method (`{ square (x) { … } }.square`): its source is `square (x) { … }`.
    expression = `Object.values({${source}})[0]`
    try {
      ast = parse(`({${source}})`)
    } catch (err) {
      throw codedError('ERR_INVALID_ARG_VALUE', `The source of fn cannot be parsed (${err.message})`)
    }
  }
  const missing = freeNames(ast).filter((name) => !GLOBALS.has(name))
  if (missing.length > 0) {
    const list = missing.map((n) => `'${n}'`).join(', ')
    throw codedError('ERR_INVALID_ARG_VALUE',
      `fn runs on a worker thread, where ${list} ${missing.length === 1 ? 'is not a global' : 'are not globals'}: ` +
      'closures do not travel; pass values as arguments, or require() modules inside fn')
  }
  checked.set(fn, expression)
  return expression
}

module.exports = { portable, freeNames, GLOBALS }
