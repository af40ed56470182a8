// Shoal video player.
//
// Page markup (templates/_player.mako): <video id="player" controls
// data-master="…/master.m3u8" data-p2p="on|off" data-tracker="ws(s)://…/tracker/socket"
// data-segments-sha256="…-segments-sha256.json" data-ice-servers='[{"urls": …}]'
// data-poster="…">, optionally <select id="quality">, <p id="player-error"
// role="alert" hidden>, and in <details id="p2p-panel" hidden> (summary with <span
// id="p2p-peers">) <span id="p2p-stats" hidden> and <label id="p2p-toggle"
// hidden><input type="checkbox"></label>. hls.js is loaded before this file by a
// classic <script> (global `Hls`). Where hls.js cannot run but the browser plays
// HLS itself (iOS Safari), the master playlist is given to the <video>.
//
// Peer to peer: with data-p2p="on", the page's import map names the vendored
// p2p-media-loader ES modules, and hls.js gets segments from other viewers over
// WebRTC, announced to the tracker of the server the video comes from; the
// server fills in over HTTP. The swarm is the master playlist's URL exactly as
// the page gives it (p2p-media-loader's default; app/tracker_swarms.py accepts
// only those), so `swarmId` is never set. Every segment from a peer is checked
// against the video's segments-sha256.json before use; a peer whose data does
// not match is dropped and not let back. P2P never stands in the way of
// playing: without WebRTC or WebCrypto, when the modules do not load, or when
// the viewer said no (remembered in localStorage), plain hls.js plays.
//
// window.shoal.player = {hls, video} and window.shoal.p2p = {enabled, peers,
// downloadedFromPeers, downloadedFromServer, uploadedToPeers, rejectedFromPeers}
// (bytes of segments; peers connected now) are exposed for tests and later code.
(() => {
  "use strict";

  const NETWORK_RETRIES = 3; // fatal network errors retried (1 s, 2 s, 4 s) before giving up
  const MEDIA_RECOVERIES = 2; // recoverMediaError, then swapAudioCodec + recoverMediaError
  const P2P_MODULE = "p2p-media-loader-hlsjs"; // mapped by the page's import map
  const P2P_LOAD_TIMEOUT = 5000; // ms; slower modules are not waited for
  const P2P_STORAGE_KEY = "shoal.p2p"; // "off" once this visitor turned sharing off
  const HASHES_RETRY = 10000; // ms before segments-sha256.json is asked for again after a failure
  const VALIDATION_FAILED = "p2p-segment-validation-failed"; // p2p-media-loader's error type
  // Segments due within this many seconds come from the server at once (unless
  // already had from a peer); later ones are looked for among peers first. With
  // 4 s segments that is the current one and the next, as p2p-media-loader 1.x's
  // requiredSegmentsCount of 2; 2.x's default of 15 s sends a late joiner's first
  // four segments over HTTP (bench/p2p.py measures the difference). hls.js then
  // buffers max(2 segments, this) ahead; slow peers are dropped after 2 s.
  const HIGH_DEMAND_SECONDS = 6;

  function start() {
    const video = document.getElementById("player");
    if (!video) return;
    video.hidden = false; // hidden for visitors without JavaScript, who get a plain player
    const select = document.getElementById("quality");
    if (select) select.closest("label").hidden = false;
    const shoal = (window.shoal = window.shoal || {});
    const player = { hls: null, video };
    shoal.player = player;
    const stats = {
      enabled: false,
      peers: 0,
      downloadedFromPeers: 0,
      downloadedFromServer: 0,
      uploadedToPeers: 0,
      rejectedFromPeers: 0,
    };
    shoal.p2p = stats;
    countView(video);
    setUpStoryboard(video);
    setUpCopyButtons();

    const master = video.dataset.master;
    if (video.dataset.poster && !video.getAttribute("poster")) video.poster = video.dataset.poster;
    if (select) select.hidden = true;

    function showError(message) {
      let box = document.getElementById("player-error");
      if (!box) {
        box = document.createElement("p");
        box.id = "player-error";
        box.setAttribute("role", "alert");
        video.after(box);
      }
      box.textContent = message;
      box.hidden = false;
    }

    if (!master) {
      showError("This video has no playable source yet.");
      return;
    }

    const Hls = window.Hls;
    if (Hls && Hls.isSupported()) {
      const options = p2pOptions(video);
      const plain = () => startHls(Hls, video, master, select, showError, stats, null);
      if (!options) {
        player.hls = plain();
        return;
      }
      loadP2PEngine().then(
        (Engine) => {
          try {
            player.hls = startHls(Hls, video, master, select, showError, stats, { Engine, options });
          } catch (err) {
            console.warn("shoal player: peer-to-peer could not start; playing from the server", err);
            player.hls = plain();
          }
        },
        (err) => {
          console.warn("shoal player: peer-to-peer is unavailable; playing from the server", err);
          player.hls = plain();
        },
      );
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      const start = startTime();
      if (start > 0) {
        video.addEventListener("loadedmetadata", () => { video.currentTime = start; }, { once: true });
      }
      video.addEventListener("error", () => {
        showError("The video could not be played. Please reload the page.");
      });
      video.src = master;
    } else {
      showError("This browser cannot play HLS video.");
    }
  }

  // What P2P needs from the page and the browser, or null to play without it.
  function p2pOptions(video) {
    const data = video.dataset;
    if (data.p2p !== "on" || !data.tracker || !data.segmentsSha256) return null;
    if (typeof RTCPeerConnection !== "function") return null; // WebRTC blocked or absent
    if (!(window.crypto && window.crypto.subtle)) return null; // no way to check peers' data
    let iceServers = [];
    try {
      const parsed = JSON.parse(data.iceServers || "[]");
      if (Array.isArray(parsed)) iceServers = parsed;
    } catch (err) {
      // An unreadable list: no STUN/TURN server, peers on the same network still connect.
    }
    return { tracker: data.tracker, hashesUrl: data.segmentsSha256, iceServers };
  }

  function loadP2PEngine() {
    let timer = null;
    const timeout = new Promise((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error("the P2P modules took too long")), P2P_LOAD_TIMEOUT);
    });
    const load = import(P2P_MODULE).then((module) => {
      if (!module.HlsJsP2PEngine) throw new Error(`${P2P_MODULE} has no HlsJsP2PEngine`);
      return module.HlsJsP2PEngine;
    });
    return Promise.race([load, timeout]).finally(() => clearTimeout(timer));
  }

  function visitorSaysNo() {
    try {
      return window.localStorage.getItem(P2P_STORAGE_KEY) === "off";
    } catch (err) {
      return false; // storage blocked (sandboxed frame): nothing was remembered
    }
  }

  function rememberChoice(on) {
    try {
      if (on) window.localStorage.removeItem(P2P_STORAGE_KEY);
      else window.localStorage.setItem(P2P_STORAGE_KEY, "off");
    } catch (err) {
      // Storage blocked: the choice holds for this page only.
    }
  }

  // p2p-media-loader's validateP2PSegment hook: the segment's SHA-256 must be the
  // one segments-sha256.json gives for {fMP4 file name: {"start-end" (inclusive): hex}}.
  function segmentChecker(hashesUrl, stats) {
    let table = null;

    function hashes() {
      if (!table) {
        table = fetch(hashesUrl).then((response) => {
          if (!response.ok) throw new Error(`segments-sha256.json: HTTP ${response.status}`);
          return response.json();
        });
        table.catch(() => setTimeout(() => { table = null; }, HASHES_RETRY));
      }
      return table;
    }

    function expected(files, url, byteRange) {
      const name = decodeURIComponent(new URL(url, window.location.href).pathname.split("/").pop());
      const entry = files[name];
      if (!byteRange) return typeof entry === "string" ? entry : null;
      const hash = entry && entry[`${byteRange.start}-${byteRange.end}`];
      return typeof hash === "string" ? hash.toLowerCase() : null;
    }

    async function matches(url, byteRange, data) {
      try {
        const want = expected(await hashes(), url, byteRange);
        if (!want) return false;
        const digest = new Uint8Array(await window.crypto.subtle.digest("SHA-256", data));
        return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("") === want;
      } catch (err) {
        return false; // hashes unavailable: nothing from peers or mirrors can be trusted
      }
    }

    async function check(url, byteRange, data) {
      const ok = await matches(url, byteRange, data);
      if (!ok) stats.rejectedFromPeers += 1;
      return ok;
    }

    return { check, matches, preload: () => hashes().catch(() => {}) };
  }

  // Segments come from the video's server and from the servers that mirror it (their
  // copies' master playlists in data-mirrors), in turn from a random start (PeerTube
  // picks at random for each segment; in turn, each server's share is even, not only on
  // average). What a mirror sends must match
  // segments-sha256.json; a mirror that fails or sends anything else is left out for
  // the rest of the page, and that segment comes from the video's server.
  function segmentSources(master, mirrorMasters, checker) {
    const folder = (url) => url.slice(0, url.lastIndexOf("/") + 1);
    const origin = folder(master);
    const bases = checker ? [origin, ...mirrorMasters.map(folder)] : [origin];
    const failed = new Set();
    const tried = new Map(); // segment URL -> the mirror URL last asked for it

    let turn = Math.floor(Math.random() * bases.length); // each page starts elsewhere

    function pick(url) {
      const live = bases.filter((base) => !failed.has(base));
      if (live.length < 2 || !url.startsWith(origin)) return url;
      turn += 1;
      return live[turn % live.length] + url.slice(origin.length);
    }

    function fail(url) {
      failed.add(folder(url));
    }

    // p2p-media-loader's HTTP hooks: which server a segment is asked from, and whether
    // its data may be used. A segment asked again (an error or a failed check) leaves
    // the mirror asked last time out.
    function httpRequestSetup(url, _byteRange, signal, requestRange) {
      const previous = tried.get(url);
      if (previous) fail(previous);
      const chosen = pick(url);
      if (chosen === url) {
        tried.delete(url);
        return Promise.resolve(undefined); // p2p-media-loader's own request
      }
      tried.set(url, chosen);
      const headers = requestRange
        ? { Range: `bytes=${requestRange.start}-${requestRange.end ?? ""}` }
        : undefined;
      return Promise.resolve(new Request(chosen, { headers, signal }));
    }

    async function validateHTTPSegment(url, byteRange, data) {
      if (!tried.has(url)) return true; // from the video's own server
      const ok = await checker.matches(url, byteRange, data);
      if (ok) tried.delete(url);
      return ok;
    }

    // hls.js's loader for what p2p-media-loader does not take (everything when the
    // visitor turned P2P off, or without P2P): the same spreading, and a mirror's failure
    // or bad data is retried once from the video's server.
    function loader(Hls) {
      const Base = Hls.DefaultConfig.loader;
      return class SpreadingLoader extends Base {
        constructor(config) {
          super(config);
          this.hlsConfig = config;
          this.second = null;
        }

        load(context, config, callbacks) {
          const original = context.url;
          // Media segments only: not playlists, nor init segments (no hash is given for them).
          const media = context.frag && context.frag.sn !== "initSegment";
          const chosen = media ? pick(original) : original;
          if (chosen === original) {
            super.load(context, config, callbacks);
            return;
          }
          const fromOrigin = () => {
            fail(chosen);
            this.second = new Base(this.hlsConfig);
            this.stats = this.second.stats;
            this.second.load(context, config, callbacks);
          };
          const range = context.rangeEnd
            ? { start: context.rangeStart, end: context.rangeEnd - 1 }
            : undefined;
          super.load({ ...context, url: chosen }, config, {
            ...callbacks,
            onSuccess: (response, stats, _ctx, details) => {
              checker.matches(original, range, response.data).then((ok) => {
                if (ok) callbacks.onSuccess(response, stats, context, details);
                else fromOrigin();
              });
            },
            onError: fromOrigin,
            onTimeout: fromOrigin,
          });
        }

        abort() {
          super.abort();
          if (this.second) this.second.abort();
        }

        destroy() {
          if (this.second) this.second.destroy();
          super.destroy();
        }
      };
    }

    return { pick, fail, httpRequestSetup, validateHTTPSegment, loader, spreads: bases.length > 1 };
  }

  // p2p-media-loader closes a peer whose segment fails validation, but the
  // tracker may introduce it again later. 2.3.1 has no public call to close one
  // peer, so this reaches its (unminified) internals; if they ever change, the
  // validation hook still keeps bad data out.
  function closePeer(core, peerId) {
    try {
      for (const hybrid of [core.mainStreamLoader, core.secondaryStreamLoader]) {
        const loaders = hybrid && hybrid.p2pLoaders && hybrid.p2pLoaders.loaders;
        if (!loaders) continue;
        for (const { loader } of loaders.values()) {
          const peers = loader.trackerClient && loader.trackerClient._peers;
          const item = peers && peers.get(peerId);
          if (item && item.peer) item.peer.destroy();
        }
      }
    } catch (err) {
      console.warn("shoal player: could not close a peer", err);
    }
  }

  function formatBytes(n) {
    if (n < 1000) return `${n} B`;
    if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)} kB`;
    if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
    return `${(n / 1e9).toFixed(2)} GB`;
  }

  // "3 peers · 1.2 MB from peers · 400 kB from server · 800 kB sent" under the player.
  function statsView(stats) {
    const box = document.getElementById("p2p-stats");
    const panel = document.getElementById("p2p-panel"); // the small "P2P" indicator
    const peers = document.getElementById("p2p-peers");
    let queued = false;
    function draw() {
      queued = false;
      if (peers) peers.textContent = stats.enabled ? ` · ${stats.peers}` : " off";
      if (!box) return;
      if (!stats.enabled) {
        box.textContent = "Peer-to-peer off";
        return;
      }
      box.textContent = [
        `${stats.peers} ${stats.peers === 1 ? "peer" : "peers"}`,
        `${formatBytes(stats.downloadedFromPeers)} from peers`,
        `${formatBytes(stats.downloadedFromServer)} from server`,
        `${formatBytes(stats.uploadedToPeers)} sent`,
      ].join(" · ");
    }
    if (box) box.hidden = false;
    if (panel) panel.hidden = false;
    draw();
    return () => {
      if (queued) return;
      queued = true;
      setTimeout(draw, 250);
    };
  }

  // The P2P configuration, the live counters and the visitor's on/off switch.
  function setUpP2P(hls, options, stats) {
    const engine = hls.p2pEngine;
    const redraw = statsView(stats);
    const connected = new Set();
    const banned = new Set();
    const countPeers = () => {
      stats.peers = connected.size;
      redraw();
    };
    engine.addEventListener("onPeerConnect", ({ peerId }) => {
      if (banned.has(peerId)) {
        setTimeout(() => closePeer(engine.core, peerId), 0); // it is still being set up
        return;
      }
      connected.add(peerId);
      countPeers();
      options.checker.preload();
    });
    engine.addEventListener("onPeerClose", ({ peerId }) => {
      connected.delete(peerId);
      countPeers();
    });
    engine.addEventListener("onSegmentLoaded", ({ bytesLength, downloadSource }) => {
      if (downloadSource === "p2p") stats.downloadedFromPeers += bytesLength;
      else if (downloadSource === "http") stats.downloadedFromServer += bytesLength;
      redraw();
    });
    engine.addEventListener("onChunkUploaded", (bytesLength) => {
      stats.uploadedToPeers += bytesLength;
      redraw();
    });
    engine.addEventListener("onSegmentError", ({ error, downloadSource, peerId }) => {
      if (downloadSource !== "p2p" || !peerId || !error || error.type !== VALIDATION_FAILED) return;
      console.warn("shoal player: a peer sent a segment that does not match its hash; dropped it");
      banned.add(peerId);
      connected.delete(peerId);
      countPeers();
      setTimeout(() => closePeer(engine.core, peerId), 0);
    });

    const toggle = document.getElementById("p2p-toggle");
    const box = toggle && toggle.querySelector("input[type=checkbox]");
    if (box) {
      box.checked = stats.enabled;
      toggle.hidden = false;
      box.addEventListener("change", () => {
        stats.enabled = box.checked;
        rememberChoice(box.checked);
        engine.applyDynamicConfig({
          core: { isP2PDisabled: !box.checked, isP2PUploadDisabled: !box.checked },
        });
        redraw();
      });
    }
    redraw();
  }

  function levelLabel(level, duplicateHeight) {
    const kbps = `${Math.round((level.bitrate || 0) / 1000)} kbps`;
    if (!level.height) return kbps;
    return duplicateHeight ? `${level.height}p (${kbps})` : `${level.height}p`;
  }

  function fillQualities(hls, select) {
    const levels = hls.levels || [];
    if (levels.length < 2) {
      select.hidden = true;
      return;
    }
    const heights = levels.map((level) => level.height);
    const options = levels
      .map((level, index) => ({ level, index }))
      .sort((a, b) => (b.level.height || 0) - (a.level.height || 0) || b.level.bitrate - a.level.bitrate)
      .map(({ level, index }) => {
        const duplicate = heights.indexOf(level.height) !== heights.lastIndexOf(level.height);
        return new Option(levelLabel(level, duplicate), String(index));
      });
    select.replaceChildren(new Option("Auto", "-1"), ...options);
    select.value = String(hls.autoLevelEnabled ? -1 : hls.currentLevel);
    select.hidden = false;
  }

  // One view is counted after 5 s of actual playback (the server also
  // counts one per address and video per hour).
  // The timeline under the picture (<div id="storyboard" data-src data-tile-width
  // data-tile-height data-tile-duration data-width data-height> holding
  // .storyboard-preview and an <input type="range" class="storyboard-seek">):
  // hovering or dragging it shows the storyboard tile of that moment with its time;
  // releasing it seeks. The sprite is only fetched on the first hover or drag.
  function setUpStoryboard(video) {
    const box = document.getElementById("storyboard");
    if (!box) return;
    const seek = box.querySelector(".storyboard-seek");
    const preview = box.querySelector(".storyboard-preview");
    const tile = box.querySelector(".storyboard-tile");
    const time = box.querySelector(".storyboard-time");
    const d = box.dataset;
    const tileWidth = Number(d.tileWidth);
    const tileHeight = Number(d.tileHeight);
    const tileDuration = Number(d.tileDuration);
    const columns = Math.max(1, Math.floor(Number(d.width) / tileWidth));
    const tiles = columns * Math.max(1, Math.floor(Number(d.height) / tileHeight));
    if (!(tileWidth > 0 && tileHeight > 0 && tileDuration > 0)) return;
    box.hidden = false;
    let dragging = false;

    function duration() {
      return Number.isFinite(video.duration) && video.duration > 0 ? video.duration : Number(seek.max);
    }

    function show(seconds, x) {
      if (!tile.style.backgroundImage) tile.style.backgroundImage = `url("${d.src}")`;
      const index = Math.min(tiles - 1, Math.max(0, Math.floor(seconds / tileDuration)));
      tile.style.width = `${tileWidth}px`;
      tile.style.height = `${tileHeight}px`;
      tile.style.backgroundPosition =
        `-${(index % columns) * tileWidth}px -${Math.floor(index / columns) * tileHeight}px`;
      time.textContent = clock(seconds);
      const width = box.clientWidth;
      preview.style.left = `${Math.min(Math.max(0, x - tileWidth / 2), Math.max(0, width - tileWidth))}px`;
      preview.hidden = false;
    }

    function at(event) {
      const rect = seek.getBoundingClientRect();
      const share = Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width));
      return { seconds: share * duration(), x: event.clientX - box.getBoundingClientRect().left };
    }

    video.addEventListener("loadedmetadata", () => {
      seek.max = String(duration());
    });
    video.addEventListener("timeupdate", () => {
      if (!dragging) seek.value = String(video.currentTime);
    });
    seek.addEventListener("pointermove", (event) => {
      const { seconds, x } = at(event);
      show(dragging ? Number(seek.value) : seconds, x);
    });
    seek.addEventListener("pointerleave", () => {
      if (!dragging) preview.hidden = true;
    });
    seek.addEventListener("input", () => {
      dragging = true;
      const share = Number(seek.value) / duration();
      show(Number(seek.value), share * seek.clientWidth);
    });
    seek.addEventListener("change", () => {
      dragging = false;
      const seconds = Number(seek.value);
      video.currentTime = seconds; // before any media loaded: where playing will start
      video.dispatchEvent(new CustomEvent("shoal-seek", { detail: seconds }));
      preview.hidden = true;
    });
  }

  // Share box: <button class="copy" data-copy="#field"> copies the field's text (the
  // buttons show only with JavaScript: CSS shows .copy under html.has-js). The share box is
  // swapped by HTMX, so clicks are caught on the document.
  function setUpCopyButtons() {
    document.documentElement.classList.add("has-js");
    document.addEventListener("click", (event) => {
      const button = event.target.closest && event.target.closest("button[data-copy]");
      const field = button && document.querySelector(button.dataset.copy);
      if (!field) return;
      const done = () => {
        const label = button.textContent;
        button.textContent = "Copied";
        setTimeout(() => { button.textContent = label; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, () => field.select());
      } else {
        field.select(); // the visitor copies it with their keyboard
      }
    });
  }

  // PeerTube's share links say where to start: ?start=90, ?start=1m30s or ?start=1h2m3s.
  function startTime() {
    const raw = new URLSearchParams(window.location.search).get("start");
    if (!raw) return -1;
    if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw);
    const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(raw);
    if (!match || !match[0]) return -1;
    return Number(match[1] || 0) * 3600 + Number(match[2] || 0) * 60 + Number(match[3] || 0);
  }

  function clock(seconds) {
    const s = Math.floor(seconds);
    const mm = String(Math.floor((s % 3600) / 60)).padStart(s >= 3600 ? 2 : 1, "0");
    const ss = String(s % 60).padStart(2, "0");
    return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
  }

  function countView(video) {
    const url = video.dataset.views;
    if (!url) return;
    let watched = 0;
    let last = null;
    const onTime = () => {
      const now = video.currentTime;
      if (last !== null && now > last && now - last < 1.5) watched += now - last;
      last = now;
      if (watched >= 5) {
        video.removeEventListener("timeupdate", onTime);
        fetch(url, { method: "POST", credentials: "same-origin" }).catch(() => {});
      }
    };
    video.addEventListener("timeupdate", onTime);
    video.addEventListener("seeking", () => { last = null; });
  }

  // `p2p`: null for plain hls.js, or {Engine (HlsJsP2PEngine), options}.
  function startHls(Hls, video, master, select, showError, stats, p2p) {
    // Until play (or a seek) only the playlists load (the poster stands in for the
    // picture): a visitor who never presses play costs a few hundred kB, not megabytes. Then the
    // first segment comes from the lowest rendition, for a quick first frame on a slow
    // network, and the bandwidth estimate climbs from there.
    const loading = { autoStartLoad: false, startLevel: 0 };
    const mirrors = JSON.parse(video.dataset.mirrors || "[]");
    const hashesUrl = p2p ? p2p.options.hashesUrl : video.dataset.segmentsSha256;
    const checker = hashesUrl && window.crypto && window.crypto.subtle
      ? segmentChecker(hashesUrl, stats)
      : null;
    const sources = segmentSources(master, mirrors, checker);
    let hls;
    if (p2p) {
      const options = { ...p2p.options, checker };
      const HlsWithP2P = p2p.Engine.injectMixin(Hls);
      stats.enabled = !visitorSaysNo();
      hls = new HlsWithP2P({
        ...loading,
        ...(sources.spreads ? { loader: sources.loader(Hls) } : {}),
        // With p2p-media-loader, hls.js's worker receives peers' segments empty.
        enableWorker: false,
        p2p: {
          core: {
            announceTrackers: [options.tracker],
            rtcConfig: { iceServers: options.iceServers },
            validateP2PSegment: checker.check,
            isP2PDisabled: !stats.enabled,
            isP2PUploadDisabled: !stats.enabled,
            highDemandTimeWindow: HIGH_DEMAND_SECONDS,
            // One segment at a time from the server: on a slow link two at once made the
            // first frame wait for both (bench/player.py, Fast 3G: 2.96 s -> 2.12 s).
            simultaneousHttpDownloads: 1,
            ...(sources.spreads
              ? {
                httpRequestSetup: sources.httpRequestSetup,
                validateHTTPSegment: sources.validateHTTPSegment,
              }
              : {}),
          },
        },
      });
      setUpP2P(hls, options, stats);
    } else {
      hls = new Hls(sources.spreads ? { ...loading, loader: sources.loader(Hls) } : loading);
    }
    // Segments load from the first play, or the first seek (a frame is asked for there).
    let loadingStarted = false;
    const beginLoading = () => {
      if (loadingStarted) return;
      loadingStarted = true;
      const start = startTime();
      if (start > 0) video.currentTime = start; // where a shared link says to begin
      hls.startLoad(start > 0 ? start : -1);
    };
    video.addEventListener("play", beginLoading, { once: true });
    video.addEventListener("seeking", beginLoading, { once: true });
    // A seek before anything loaded (the timeline under the picture) fires no "seeking":
    // the timeline says so itself, and loading starts where it points.
    video.addEventListener("shoal-seek", (event) => {
      if (loadingStarted) return;
      loadingStarted = true;
      hls.startLoad(event.detail);
    });
    let networkFailures = 0;
    let mediaRecoveries = 0;
    let retryTimer = null;

    function giveUp(message, data) {
      console.error("shoal player: unrecoverable error", data);
      clearTimeout(retryTimer);
      hls.destroy();
      showError(message);
    }

    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      if (select) fillQualities(hls, select);
    });

    // "Auto (720p)": tell the viewer what Auto picked.
    hls.on(Hls.Events.LEVEL_SWITCHED, (_event, data) => {
      if (!select || select.hidden) return;
      const auto = select.options[0];
      const level = hls.levels[data.level];
      auto.textContent = hls.autoLevelEnabled && level && level.height ? `Auto (${level.height}p)` : "Auto";
    });

    // Progress resets the retry budgets. A fragment hls.js fetched itself (not
    // through p2p-media-loader, which reports its own) came from the server.
    hls.on(Hls.Events.FRAG_LOADED, (_event, data) => {
      networkFailures = 0;
      const loaded = (data.part || data.frag).stats.loaded;
      if (data.networkDetails && loaded) stats.downloadedFromServer += loaded;
    });
    video.addEventListener("playing", () => {
      mediaRecoveries = 0;
    });

    // Servers that mirror the video (data-mirrors: their copies' master playlists): when
    // the origin stops answering, playing goes on from the next one, where it was.
    let current = master;
    function toMirror() {
      sources.fail(current);
      const next = mirrors.shift();
      current = next;
      const at = video.currentTime;
      const wasPlaying = !video.paused;
      console.warn("shoal player: the video's server does not answer; playing from", next);
      networkFailures = 0;
      hls.once(Hls.Events.MANIFEST_PARSED, () => {
        hls.startLoad(at);
        video.currentTime = at;
        if (wasPlaying) video.play().catch(() => {});
      });
      hls.loadSource(next);
    }

    let failedFragments = 0; // in a row; the origin is taken as gone after two
    hls.on(Hls.Events.FRAG_LOADED, () => {
      failedFragments = 0;
    });

    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (mirrors.length && data.type === Hls.ErrorTypes.NETWORK_ERROR) {
        // hls.js would retry (and step down the qualities) against a server that is gone.
        failedFragments += 1;
        if (data.fatal || failedFragments >= 2) {
          failedFragments = 0;
          toMirror();
        }
        return;
      }
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
        if (networkFailures >= NETWORK_RETRIES) {
          giveUp("The video could not be loaded: the server cannot be reached.", data);
          return;
        }
        const delay = 1000 * 2 ** networkFailures;
        networkFailures += 1;
        clearTimeout(retryTimer);
        retryTimer = setTimeout(() => {
          // Without levels the master playlist itself failed: load it again.
          if (hls.levels && hls.levels.length) hls.startLoad();
          else hls.loadSource(master);
        }, delay);
      } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
        if (mediaRecoveries >= MEDIA_RECOVERIES) {
          giveUp("This video cannot be decoded by your browser.", data);
          return;
        }
        if (mediaRecoveries > 0) hls.swapAudioCodec();
        mediaRecoveries += 1;
        hls.recoverMediaError();
      } else {
        giveUp("The video could not be played. Please reload the page.", data);
      }
    });

    if (select) {
      select.addEventListener("change", () => {
        hls.currentLevel = Number(select.value);
        if (select.options[0]) select.options[0].textContent = "Auto";
      });
    }

    hls.loadSource(master);
    hls.attachMedia(video);
    return hls;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start, { once: true });
  } else {
    start();
  }
})();
