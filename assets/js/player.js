// Shoal video player.
//
// Page markup: <video id="player" controls data-master="…/master.m3u8"
// data-poster="…"> and optionally <select id="quality"> and
// <p id="player-error" role="alert" hidden>. hls.js is loaded before this file
// by a classic <script> (global `Hls`). Where hls.js cannot run but the browser
// plays HLS itself (iOS Safari), the master playlist is given to the <video>.
// window.shoal.player = {hls, video} is exposed for tests and later code.
(() => {
  "use strict";

  const NETWORK_RETRIES = 3; // fatal network errors retried (1 s, 2 s, 4 s) before giving up
  const MEDIA_RECOVERIES = 2; // recoverMediaError, then swapAudioCodec + recoverMediaError

  function start() {
    const video = document.getElementById("player");
    if (!video) return;
    const select = document.getElementById("quality");
    const shoal = (window.shoal = window.shoal || {});
    const player = { hls: null, video };
    shoal.player = player;
    countView(video);

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
      player.hls = startHls(Hls, video, master, select, showError);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.addEventListener("error", () => {
        showError("The video could not be played. Please reload the page.");
      });
      video.src = master;
    } else {
      showError("This browser cannot play HLS video.");
    }
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

  function startHls(Hls, video, master, select, showError) {
    const hls = new Hls();
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

    // Progress resets the retry budgets.
    hls.on(Hls.Events.FRAG_LOADED, () => {
      networkFailures = 0;
    });
    video.addEventListener("playing", () => {
      mediaRecoveries = 0;
    });

    hls.on(Hls.Events.ERROR, (_event, data) => {
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
