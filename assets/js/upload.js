// Shoal upload form, progressively enhanced.
//
// Without JavaScript, <form id="upload-form"> is an ordinary multipart POST that
// the server answers with 303 to the new video's page. With it, the same
// FormData goes through XMLHttpRequest, whose upload.onprogress events drive
// <progress id="upload-progress"> and <span id="upload-percent">. The header
// X-Requested-With asks the server for 201 JSON {video, url}; we then navigate
// to `url`. Errors (PeerTube problem JSON with `detail`) go to #upload-error.
// Optional: a <button id="upload-abort" hidden> to cancel the upload.
(() => {
  "use strict";

  const form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;

  const progress = document.getElementById("upload-progress");
  const percent = document.getElementById("upload-percent");
  const abortButton = document.getElementById("upload-abort");
  let xhr = null;

  const submitButtons = () =>
    form.querySelectorAll("button:not([type]), button[type=submit], input[type=submit]");

  function errorBox() {
    let box = document.getElementById("upload-error");
    if (!box) {
      box = document.createElement("p");
      box.id = "upload-error";
      box.setAttribute("role", "alert");
      form.prepend(box);
    }
    return box;
  }

  function showError(message) {
    const box = errorBox();
    box.textContent = message;
    box.hidden = false;
  }

  function setProgress(fraction, label) {
    const pct = Math.max(0, Math.min(100, fraction * 100));
    if (progress) {
      progress.hidden = false;
      progress.max = 100;
      progress.value = pct;
    }
    if (percent) percent.textContent = label || `${Math.floor(pct)}%`;
  }

  // Leaving the page cancels the upload: ask first.
  function confirmLeave(event) {
    event.preventDefault();
    event.returnValue = "";
  }

  function setBusy(busy) {
    for (const button of submitButtons()) button.disabled = busy;
    form.toggleAttribute("aria-busy", busy);
    if (abortButton) abortButton.hidden = !busy;
    if (busy) window.addEventListener("beforeunload", confirmLeave);
    else window.removeEventListener("beforeunload", confirmLeave);
  }

  function finish(errorMessage) {
    xhr = null;
    setBusy(false);
    if (errorMessage) {
      showError(errorMessage);
      if (progress) progress.hidden = true; // nothing is uploading any more
      if (percent) percent.textContent = "";
    }
  }

  function megabytes(n) {
    return n < 1048576 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1048576).toFixed(1)} MB`;
  }

  // The server checks the quota too; asking first saves sending the whole file to hear no.
  function overQuota(file) {
    const left = Number(form.dataset.quotaLeft);
    const total = Number(form.dataset.quotaTotal);
    if (!file || !(total >= 0) || !(left >= 0) || file.size <= left) return null;
    return `This file is ${megabytes(file.size)}, and your video quota has ${megabytes(left)} left`
      + ` (of ${megabytes(total)}). Delete some videos or ask an administrator for more.`;
  }

  // Navigate only within this site, whatever the response says.
  function sameOrigin(url) {
    try {
      const target = new URL(url, window.location.href);
      return target.origin === window.location.origin ? target.href : null;
    } catch {
      return null;
    }
  }

  function parseJson(text) {
    try {
      return JSON.parse(text);
    } catch {
      return null;
    }
  }

  function problemMessage(request) {
    const body = parseJson(request.responseText);
    if (body && typeof body === "object") {
      const message = body.detail || body.error || body.title;
      if (message) return String(message);
    }
    if (request.status === 413) return "The file is too large for this server.";
    if (request.status === 403) return "You are not allowed to upload (your session may have expired: reload the page).";
    return `The upload failed (${request.status} ${request.statusText || "error"}).`;
  }

  function onLoad(request) {
    if (request.status >= 200 && request.status < 300) {
      const body = parseJson(request.responseText);
      // 201 JSON for XHR; a 303 followed by the browser lands on the video page (200 HTML).
      const url = sameOrigin((body && body.url) || request.responseURL);
      if (url && url !== sameOrigin(form.action)) {
        setProgress(1, "Done");
        window.removeEventListener("beforeunload", confirmLeave);
        window.location.assign(url);
        return;
      }
      finish("The server accepted the upload but did not say where the video is.");
      return;
    }
    finish(problemMessage(request));
  }

  // The title starts as the file's name, as PeerTube's upload form does.
  const fileInput = form.querySelector("input[name=videofile]");
  const nameInput = form.querySelector("input[name=name]");
  if (fileInput && nameInput) {
    fileInput.addEventListener("change", () => {
      const file = fileInput.files && fileInput.files[0];
      if (!file || nameInput.value.trim()) return;
      const base = file.name.replace(/\.[^.]+$/, "").replace(/[_]+/g, " ").trim();
      nameInput.value = base.slice(0, 120);
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (xhr) return; // already uploading

    const chosen = fileInput && fileInput.files && fileInput.files[0];
    const refused = overQuota(chosen);
    if (refused) {
      finish(refused);
      return;
    }
    const data = new FormData(form, event.submitter || null);
    const request = new XMLHttpRequest();
    xhr = request;
    request.open((form.getAttribute("method") || "POST").toUpperCase(), form.action);
    request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    request.setRequestHeader("Accept", "application/json");
    // A streamed body cannot be read before the handler's XSRF check runs, so
    // the token also travels in the header Tornado accepts.
    const token = form.elements.namedItem("_xsrf");
    if (token && token.value) request.setRequestHeader("X-XSRFToken", token.value);

    request.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) setProgress(e.loaded / e.total);
    });
    request.upload.addEventListener("load", () => setProgress(1, "Processing…"));
    request.addEventListener("load", () => onLoad(request));
    request.addEventListener("error", () => finish("The connection was lost during the upload. Please try again."));
    request.addEventListener("timeout", () => finish("The upload timed out. Please try again."));
    request.addEventListener("abort", () => finish("Upload cancelled."));

    const box = document.getElementById("upload-error");
    if (box) {
      box.hidden = true;
      box.textContent = "";
    }
    setBusy(true);
    setProgress(0);
    request.send(data);
  });

  if (abortButton) {
    abortButton.hidden = true;
    abortButton.addEventListener("click", (event) => {
      event.preventDefault();
      if (xhr) xhr.abort();
    });
  }
})();
