'use strict'
// peertube_context_shim.cjs: Node `--require` preload for running a real PeerTube 6.3 offline.
//
// PeerTube signs every outgoing ActivityPub activity with an RsaSignature2017
// JSON-LD signature. To canonicalize it, jsonld must load the ActivityStreams
// context from https://www.w3.org/ns/activitystreams. With no internet that
// load fails, and PeerTube logs "Cannot sign and contextify body" and then
// sends the bare activity with no @context and no signature.
//
// This shim wraps jsonld's node document loader (jsonld.documentLoaders.node,
// which PeerTube's server/core/helpers/custom-jsonld-signature.ts calls once
// at import time) and the default jsonld.documentLoader. The wrapped loaders
// answer the ActivityStreams context URLs from a local JSON file. Every other
// URL goes to the original loader. PeerTube answers
// https://w3id.org/security/v1 itself from an embedded copy (STATIC_CACHE),
// so the shim serves it only if PEERTUBE_SECURITY_CONTEXT_FILE is set.
// No PeerTube file is changed.
//
// Usage: NODE_OPTIONS="--require /path/to/peertube_context_shim.cjs" node dist/server
//   PEERTUBE_AS_CONTEXT_FILE       AS2 context JSON (default: <repo>/../shared/fixtures/
//                                  peertube-6.3/activitystreams-context.vendored.NOT-PEERTUBE.json,
//                                  where <repo> is two folders up from this file)
//   PEERTUBE_SECURITY_CONTEXT_FILE optional security/v1 context JSON
//   PEERTUBE_DIR                   where to resolve `jsonld` from (default: process.cwd())
// Worker threads (PeerTube signs in a piscina worker) run NODE_OPTIONS preloads too.

const fs = require('fs')
const path = require('path')
const Module = require('module')

const repoDir = path.resolve(__dirname, '..', '..')
const asFile = process.env.PEERTUBE_AS_CONTEXT_FILE ||
  path.resolve(repoDir, '..', 'shared', 'fixtures', 'peertube-6.3', 'activitystreams-context.vendored.NOT-PEERTUBE.json')

const files = {
  'https://www.w3.org/ns/activitystreams': asFile,
  'http://www.w3.org/ns/activitystreams': asFile,
  'https://www.w3.org/ns/activitystreams.jsonld': asFile
}
if (process.env.PEERTUBE_SECURITY_CONTEXT_FILE) {
  files['https://w3id.org/security/v1'] = process.env.PEERTUBE_SECURITY_CONTEXT_FILE
}

const texts = new Map()

function localDocument (url) {
  const file = files[url]
  if (!file) return null
  if (!texts.has(file)) {
    try {
      texts.set(file, fs.readFileSync(file, 'utf8'))
    } catch (err) {
      throw new Error(`peertube_context_shim: cannot read context file ${file} for ${url}: ${err.message}`)
    }
  }
  // A fresh copy each time, so no caller can change what the next one gets.
  return { contextUrl: null, document: JSON.parse(texts.get(file)), documentUrl: url }
}

function wrapLoader (loader) {
  return function shimDocumentLoader (url, ...rest) {
    const doc = localDocument(url)
    if (doc) return Promise.resolve(doc)
    return loader.call(this, url, ...rest)
  }
}

function patchJsonld (jsonld) {
  if (!jsonld || typeof jsonld !== 'object' && typeof jsonld !== 'function') return
  const loaders = jsonld.documentLoaders
  if (!loaders || typeof loaders.node !== 'function' || loaders.__peertubeContextShim) return

  const originalNode = loaders.node
  loaders.node = function (...args) {
    return wrapLoader(originalNode.apply(this, args))
  }
  loaders.__peertubeContextShim = true

  if (typeof jsonld.documentLoader === 'function') {
    jsonld.documentLoader = wrapLoader(jsonld.documentLoader)
  }
}

// 1. Any later require('jsonld') (CommonJS) gets patched exports.
const originalLoad = Module._load
Module._load = function (request, ...rest) {
  const exported = originalLoad.call(this, request, ...rest)
  if (request === 'jsonld') patchJsonld(exported)
  return exported
}

// 2. Load PeerTube's jsonld now. PeerTube imports it from ESM, and Node hands an
//    ESM import of a CommonJS package the same cached (now patched) module.
for (const dir of [ process.env.PEERTUBE_DIR, process.cwd() ].filter(Boolean)) {
  let resolved
  try {
    resolved = Module.createRequire(path.join(path.resolve(dir), 'noop.js')).resolve('jsonld')
  } catch {
    continue // not a PeerTube directory: do nothing
  }
  patchJsonld(require(resolved))
  break
}
