// Vertex AR viewer: MindAR finds the print, a plane on it plays today's video.
//
// States (overlay data-state): start → (tap "Start") loading → scanning ⇄ playing, or "fallback":
// when AR cannot run (no WebGL, no or refused camera, engine not started in time, WebGL lost
// mid-session, an error) the video plays in a plain player with a note saying why; state.mode
// records the path taken ("ar" or "fallback-<why>") and goes with the view session, with the
// engine's start-up time (tap → MindAR started) and the time from there to the first find.
// window.vertexViewer holds the live state (read by the end-to-end test, handy when debugging).
import * as THREE from "three";
import { MindARThree } from "mindar-image-three";

const config = JSON.parse(document.getElementById("viewer-config").textContent);
const el = {
  ar: document.getElementById("ar"),
  overlay: document.getElementById("overlay"),
  title: document.getElementById("state-title"),
  text: document.getElementById("state-text"),
  start: document.getElementById("start"),
  fallback: document.getElementById("fallback"),
  fallbackNote: document.getElementById("fallback-note"),
  retry: document.getElementById("fallback-retry"),
  hint: document.getElementById("hint"),
  sound: document.getElementById("sound"),
  cameraPicker: document.getElementById("camera-picker"),
  camera: document.getElementById("camera"),
};

const SESSION_AFTER_MS = 30000;
const START_TIMEOUT_MS = config.engine_timeout_ms; // the AR engine (tfjs + camera), from the tap
const MAX_LINK_REFRESHES = 3;

const state = {
  phase: "start",
  mode: null,
  videoId: config.video_id,
  foundCount: 0,
  lostCount: 0,
  timeToDetectionMs: null,
  engineStartMs: null,
  frames: 0,
  tappedAt: null,
  startedAt: null,
  sessionSent: false,
  error: null,
};
window.vertexViewer = state;
const openedAt = performance.now();
// One random id per page visit: the server counts a visit once, so many phones behind one
// address (a venue's Wi-Fi) are told apart and a repeated report adds nothing.
const visitId = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
  b.toString(16).padStart(2, "0"),
).join("");

const t = config.strings; // in the page's language (viewer/i18n.py)

// Why the plain player is shown (a short note each, t["fallback_<why>"]); true: AR may work after
// a reload, so a "Try AR again" button is offered.
const FALLBACKS = {
  "no-webgl": false,
  insecure: false,
  "no-camera": false,
  "camera-denied": true,
  "camera-busy": true,
  timeout: true,
  "webgl-lost": true, // the GPU reset or the browser reclaimed the context
  error: true,
};

function setPhase(phase) {
  state.phase = phase;
  el.overlay.dataset.state = phase;
  el.overlay.hidden = phase === "scanning" || phase === "playing";
  el.hint.hidden = phase !== "scanning";
  if (phase !== "playing") el.sound.hidden = true;
}

let stopAR = () => {};

// AR cannot run: the same <video> (unlocked by the Start tap) plays in a plain player.
function fallback(kind, detail) {
  if (state.phase === "fallback") return;
  const why = kind in FALLBACKS ? kind : "error";
  const note = t[`fallback_${why}`];
  const retry = FALLBACKS[why];
  state.error = detail ? `${kind}: ${detail}` : kind;
  state.mode = `fallback-${why}`;
  try {
    stopAR();
  } catch {
    // the camera may never have started
  }
  setPhase("fallback");
  el.overlay.hidden = true;
  el.ar.hidden = true; // a camera picture left behind, or a dead canvas
  el.cameraPicker.hidden = true;
  el.fallbackNote.textContent = note;
  el.retry.hidden = !retry;
  el.retry.onclick = () => location.reload();
  video.className = "fallback-video";
  if (config.layout === "alpha-side-by-side") {
    // A box of the colour half's shape, which the (cover-fitted) frame's left half fills.
    video.classList.add("side-by-side");
    const fitHalf = () => {
      if (video.videoWidth) video.style.aspectRatio = `${video.videoWidth / 2} / ${video.videoHeight}`;
    };
    fitHalf();
    video.addEventListener("loadedmetadata", fitHalf);
  }
  video.controls = true;
  el.fallback.insertBefore(video, el.retry);
  el.fallback.hidden = false;
  video.play().catch(() => {}); // refused: its controls start it
}
const fail = fallback;

function hasWebGL() {
  try {
    const canvas = document.createElement("canvas");
    return Boolean(canvas.getContext("webgl2") || canvas.getContext("webgl"));
  } catch {
    return false;
  }
}

async function cameraProblem() {
  // MindAR rejects without a reason; ask the camera ourselves to tell the user what to do.
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    stream.getTracks().forEach((track) => track.stop());
    return "error";
  } catch (err) {
    const name = err && err.name;
    if (name === "NotAllowedError" || name === "SecurityError") return "camera-denied";
    if (name === "NotFoundError" || name === "OverconstrainedError") return "no-camera";
    if (name === "NotReadableError" || name === "AbortError") return "camera-busy";
    return "error";
  }
}

function deviceType() {
  const ua = navigator.userAgent;
  const iPadOS = /Macintosh/.test(ua) && navigator.maxTouchPoints > 1;
  if (iPadOS || /iPad|Tablet|PlayBook|Silk/i.test(ua) || (/Android/i.test(ua) && !/Mobile/i.test(ua))) {
    return "tablet";
  }
  if (/Mobi|iPhone|iPod|Android|Windows Phone/i.test(ua)) return "mobile";
  if (/Windows|Macintosh|Linux|CrOS/i.test(ua)) return "desktop";
  return "other";
}

function round(value, digits) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function sendSession() {
  if (state.sessionSent) return;
  state.sessionSent = true;
  const now = performance.now();
  const trackingSeconds = state.startedAt === null ? 0 : (now - state.startedAt) / 1000;
  const body = JSON.stringify({
    device_type: deviceType(),
    found: state.foundCount > 0,
    time_to_detection_ms: state.timeToDetectionMs === null ? null : round(state.timeToDetectionMs, 1),
    engine_start_ms: state.engineStartMs === null ? null : round(state.engineStartMs, 1),
    fps: trackingSeconds > 1 ? Math.min(240, round(state.frames / trackingSeconds, 2)) : null,
    duration_seconds: Math.min(86400, round((now - openedAt) / 1000, 2)),
    mode: state.mode,
    visit_id: visitId,
  });
  // A string body goes as text/plain: no CORS preflight, accepted while the page unloads.
  if (!(navigator.sendBeacon && navigator.sendBeacon(config.session_url, body))) {
    fetch(config.session_url, { method: "POST", body, keepalive: true }).catch(() => {});
  }
}
setTimeout(sendSession, SESSION_AFTER_MS);
addEventListener("pagehide", sendSession);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") sendSession();
});

function createVideo(info) {
  const video = document.createElement("video");
  video.className = "source-video";
  video.crossOrigin = "anonymous"; // a storage backend may serve from its own host (CORS)
  // With sound: the "Start" tap is the user gesture that allows it (see unlock).
  video.muted = false;
  video.playsInline = true;
  video.setAttribute("playsinline", "");
  video.setAttribute("webkit-playsinline", "");
  video.loop = true;
  // Nothing of the video before the Start tap (a visitor may never tap); the tap preloads it.
  video.preload = "none";
  if (info.poster) video.poster = info.poster;
  video.src = info.url;
  document.body.appendChild(video);
  return video;
}

// The target spans 1 × aspect in anchor units (MindAR: one unit = the target's width, origin at
// its centre). The video keeps its own aspect and fits inside.
function planeSize(targetAspect, videoAspect) {
  return videoAspect > targetAspect ? [targetAspect / videoAspect, targetAspect] : [1, videoAspect];
}

// The video's own pixels, as the plane shows them: "plain", or "alpha-side-by-side" (colour in the
// left half, alpha as grey in the right half: transparent video packed into H.264), and an
// optional chroma key that makes pixels near its colour transparent (green-screen footage).
// Textures stay raw sRGB bytes (no colour space): alpha and the key are compared on the bytes
// the encoder wrote, and the colour is decoded to linear here for the renderer's output step.
const VIDEO_VERTEX = `
varying vec2 vUv;
void main() {
  vUv = uv;
  gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
}`;
const VIDEO_FRAGMENT = `
uniform sampler2D map;
uniform bool hasMap;
uniform bool sideBySide;
uniform bool keyed;
uniform vec2 keyChroma; // the key colour's (Cb, Cr)
uniform float tolerance; // distance in the CbCr plane keyed out entirely (0 to ~0.9)
uniform float halfTexel; // keeps the colour half's samples off the alpha half
varying vec2 vUv;
const float FEATHER = 0.1; // beyond the tolerance, alpha ramps up over this distance
vec2 chroma(vec3 c) {
  return vec2(-0.168736 * c.r - 0.331264 * c.g + 0.5 * c.b, 0.5 * c.r - 0.418688 * c.g - 0.081312 * c.b);
}
vec3 srgbToLinear(vec3 c) {
  return mix(pow(c * 0.9478672986 + 0.0521327014, vec3(2.4)), c * 0.0773993808, vec3(lessThanEqual(c, vec3(0.04045))));
}
void main() {
  if (!hasMap) {
    gl_FragColor = vec4(1.0);
    return;
  }
  vec2 uv = sideBySide ? vec2(min(vUv.x * 0.5, 0.5 - halfTexel), vUv.y) : vUv;
  vec3 colour = texture2D(map, uv).rgb;
  float alpha = 1.0;
  if (sideBySide) alpha = texture2D(map, vec2(max(0.5 + vUv.x * 0.5, 0.5 + halfTexel), vUv.y)).g;
  if (keyed) alpha *= smoothstep(tolerance, tolerance + FEATHER, distance(chroma(colour), keyChroma));
  if (alpha < 0.004) discard;
  gl_FragColor = vec4(srgbToLinear(colour), alpha);
  #include <colorspace_fragment>
}`;

function chromaOf(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  return new THREE.Vector2(-0.168736 * r - 0.331264 * g + 0.5 * b, 0.5 * r - 0.418688 * g - 0.081312 * b);
}

function videoMaterial(info) {
  const key = info.chroma_key || null; // absent (older servers): plain, no key
  return new THREE.ShaderMaterial({
    uniforms: {
      map: { value: null },
      hasMap: { value: false },
      sideBySide: { value: info.layout === "alpha-side-by-side" },
      keyed: { value: key !== null },
      keyChroma: { value: key ? chromaOf(key.color) : new THREE.Vector2() },
      tolerance: { value: key ? key.tolerance : 0 },
      halfTexel: { value: 0 },
    },
    vertexShader: VIDEO_VERTEX,
    fragmentShader: VIDEO_FRAGMENT,
    transparent: true,
  });
}

function buildPlane(video, info) {
  const sideBySide = info.layout === "alpha-side-by-side";
  const texture = new THREE.VideoTexture(video);
  const material = videoMaterial(info);
  const show = (map, width) => {
    material.uniforms.map.value = map;
    material.uniforms.hasMap.value = true;
    material.uniforms.halfTexel.value = width ? 0.5 / width : 0;
  };
  const mesh = new THREE.Mesh(new THREE.PlaneGeometry(1, 1), material);
  const fit = (targetAspect) => {
    // Side by side, the picture is the left half of the frame.
    const w = (video.videoWidth || info.width || 16) / (sideBySide ? 2 : 1);
    const h = video.videoHeight || info.height || 9;
    const [pw, ph] = planeSize(targetAspect, h / w);
    mesh.scale.set(pw, ph, 1);
  };
  let targetAspect = info.target_height / info.target_width;
  fit(targetAspect);
  if (info.poster) {
    new THREE.TextureLoader().load(info.poster, (poster) => {
      if (!material.uniforms.hasMap.value) show(poster, poster.image.width);
    });
  }
  video.addEventListener("loadedmetadata", () => fit(targetAspect));
  video.addEventListener("playing", () => show(texture, video.videoWidth));
  return {
    mesh,
    setTargetAspect(aspect) {
      targetAspect = aspect;
      fit(aspect);
    },
  };
}

function updateSoundButton(video) {
  el.sound.hidden = state.phase !== "playing";
  el.sound.textContent = video.muted ? t.tap_for_sound : t.sound_on;
  el.sound.classList.toggle("muted", video.muted);
}

function play(video) {
  const refused = () => {
    // Even muted playback can be refused (low-power mode): one tap starts it.
    el.sound.hidden = false;
    el.sound.textContent = t.tap_to_play;
  };
  video.play().then(
    () => updateSoundButton(video),
    () => {
      if (video.muted) return refused();
      // Sound refused (no gesture reached this element): play muted, a tap turns sound on.
      video.muted = true;
      video.play().then(() => updateSoundButton(video), refused);
    },
  );
}

// Called inside the "Start" tap: a play() from a user gesture lets this element play with sound
// later (iOS), when the print is found. Paused again at once unless the print is already in view.
function unlock(video) {
  video.muted = false;
  const attempt = video.play();
  if (attempt) {
    attempt.then(
      () => {
        if (state.phase !== "playing" && state.phase !== "fallback") {
          video.pause();
          video.currentTime = 0;
        }
      },
      () => {},
    );
  }
}

async function fetchMarker(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`marker download failed (${response.status})`);
  // MindAR fetches the target itself but never reports a failed load (its start() would hang):
  // load it here and hand MindAR a local blob URL.
  return URL.createObjectURL(await response.blob());
}

function withTimeout(promise, ms, what) {
  return Promise.race([
    promise,
    new Promise((_, reject) =>
      setTimeout(() => reject(Object.assign(new Error(`${what} timed out`), { timedOut: true })), ms),
    ),
  ]);
}

function keepLinksFresh(video) {
  // Signed links expire; a long visit asks for fresh ones and continues where it was.
  let refreshes = 0;
  video.addEventListener("error", async () => {
    if (refreshes >= MAX_LINK_REFRESHES) return;
    refreshes += 1;
    try {
      const response = await fetch(config.active_video_url, { cache: "no-store" });
      if (!response.ok) return;
      const fresh = await response.json();
      const at = video.currentTime;
      const wasPlaying = state.phase === "playing";
      state.videoId = fresh.video_id;
      video.src = fresh.url;
      if (fresh.video_id === config.video_id) video.currentTime = at;
      if (wasPlaying) play(video);
    } catch {
      // Offline: the next error tries again.
    }
  });
}

// After each (re)start of MindAR: its camera <video> and its tracker are new.
function cameraStarted(mindar) {
  // MindAR relies on its camera <video>'s autoplay attribute, which a strict autoplay policy
  // refuses (the element is not muted: only the attribute is set); play it ourselves.
  if (mindar.video && mindar.video.paused) {
    mindar.video.muted = true;
    mindar.video.play().catch(() => {});
  }
  const track = mindar.video && mindar.video.srcObject && mindar.video.srcObject.getVideoTracks()[0];
  state.cameraId = track ? track.getSettings().deviceId || null : null;
  // Count tracker frames for the session's fps; MindAR reports each processed frame.
  const onUpdate = mindar.controller.onUpdate;
  mindar.controller.onUpdate = (data) => {
    if (data.type === "processDone") state.frames += 1;
    onUpdate(data);
  };
}

// Which way a camera faces, where the browser says: its capabilities (Chrome) or its label
// (Safari names them "Back Camera", "Back Ultra Wide Camera"...); null when nothing says.
function facingOf(device) {
  const modes = (device.getCapabilities && device.getCapabilities().facingMode) || [];
  if (modes.includes("environment")) return "environment";
  if (modes.includes("user")) return "user";
  if (/back|rear|environment|задн|тыл/i.test(device.label)) return "environment";
  if (/front|user|facetime|фронт/i.test(device.label)) return "user";
  return null;
}

// The rear cameras to choose from; where no camera says which way it faces (a computer's
// webcams), all of them.
async function rearCameras() {
  const devices = (await navigator.mediaDevices.enumerateDevices()).filter(
    (device) => device.kind === "videoinput" && device.deviceId,
  );
  const known = devices.some((device) => facingOf(device) !== null);
  return known ? devices.filter((device) => facingOf(device) === "environment") : devices;
}

// Phones with several rear cameras (wide, ultra wide, telephoto) do not always open the one
// that focuses on a print at arm's length: offer the choice, and restart MindAR on it.
async function offerCameras(mindar) {
  let cameras;
  try {
    cameras = await rearCameras();
  } catch {
    return; // no list, no choice
  }
  state.cameras = cameras.map((camera) => camera.deviceId);
  if (cameras.length < 2 || state.phase === "fallback") return;
  el.camera.replaceChildren(
    ...cameras.map((camera, i) => new Option(camera.label || `${t.camera} ${i + 1}`, camera.deviceId)),
  );
  el.camera.value = state.cameraId || cameras[0].deviceId;
  el.cameraPicker.hidden = false;
  el.camera.addEventListener("change", async () => {
    el.camera.disabled = true;
    video.pause();
    setPhase("scanning");
    try {
      mindar.stop();
      mindar.environmentDeviceId = el.camera.value;
      await withTimeout(mindar.start(), START_TIMEOUT_MS, "switching the camera");
      cameraStarted(mindar);
    } catch (err) {
      return fail(err && err.timedOut ? "timeout" : "error", `camera switch: ${err}`);
    } finally {
      el.camera.disabled = false;
    }
  });
}

function setLoading() {
  setPhase("loading");
  el.title.textContent = t.starting_title;
  el.text.textContent = t.starting_text;
}

const video = createVideo(config);
keepLinksFresh(video);

async function startAR() {
  if (!hasWebGL()) return fail("no-webgl");
  if (!window.isSecureContext) return fail("insecure");
  if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) return fail("no-camera");
  state.mode = "ar";

  let markerUrl;
  try {
    markerUrl = await markerDownload;
  } catch (err) {
    return fail("error", String(err));
  }

  let mindar;
  try {
    mindar = new MindARThree({
      container: el.ar,
      imageTargetSrc: markerUrl,
      uiLoading: "no",
      uiScanning: "no",
      uiError: "no",
      // The content's "stable ↔ responsive" setting (viewer/tracking.py).
      filterMinCF: config.filter_min_cf,
      filterBeta: config.filter_beta,
    });
  } catch (err) {
    return fail("no-webgl", String(err));
  }
  const plane = buildPlane(video, config);
  const anchor = mindar.addAnchor(0);
  anchor.group.add(plane.mesh);
  anchor.onTargetFound = () => {
    if (state.phase === "fallback") return;
    state.foundCount += 1;
    if (state.timeToDetectionMs === null) {
      // Tracking begins a moment before start() resolves; a find in that moment counts as 0.
      state.timeToDetectionMs = state.startedAt === null ? 0 : performance.now() - state.startedAt;
    }
    setPhase("playing");
    play(video);
  };
  anchor.onTargetLost = () => {
    if (state.phase === "fallback") return;
    state.lostCount += 1;
    video.pause();
    setPhase("scanning");
  };

  stopAR = () => mindar.stop();
  const starting = mindar.start();
  // Started after the time limit: the plain player is showing, so the camera goes off again.
  starting.then(() => state.phase === "fallback" && stopAR(), () => {});
  try {
    await withTimeout(starting, START_TIMEOUT_MS, "starting the camera");
  } catch (err) {
    if (err && err.timedOut) return fail("timeout", String(err));
    const kind = err ? "error" : await cameraProblem();
    return fail(kind, err ? String(err) : "camera");
  }
  if (state.phase === "fallback") return;
  state.startedAt = performance.now();
  state.engineStartMs = state.startedAt - state.tappedAt;
  cameraStarted(mindar);
  state.filter = { minCF: mindar.controller.filterMinCF, beta: mindar.controller.filterBeta };
  const [markerWidth, markerHeight] = mindar.controller.markerDimensions[0];
  plane.setTargetAspect(markerHeight / markerWidth);
  if (state.phase === "loading") setPhase("scanning");
  offerCameras(mindar);
  const { renderer, scene, camera } = mindar;
  renderer.setAnimationLoop(() => renderer.render(scene, camera));
  // The GPU was reset or the browser took the context back (background tab, memory pressure):
  // nothing renders any more, so the video goes on in the plain player instead.
  renderer.domElement.addEventListener(
    "webglcontextlost",
    () => {
      renderer.setAnimationLoop(null);
      fallback("webgl-lost");
    },
    { once: true },
  );
  // Where the video plane's corners are on screen (CSS px; TL, TR, BR, BL), as last rendered.
  state.planeCorners = () => {
    const { clientWidth: w, clientHeight: h } = el.ar;
    return [[-0.5, 0.5], [0.5, 0.5], [0.5, -0.5], [-0.5, -0.5]].map(([x, y]) => {
      const p = new THREE.Vector3(x, y, 0).applyMatrix4(plane.mesh.matrixWorld).project(camera);
      return [((p.x + 1) / 2) * w, ((1 - p.y) / 2) * h];
    });
  };

  const unmute = () => {
    if (state.phase !== "playing") return;
    video.muted = !video.muted;
    play(video);
  };
  el.sound.addEventListener("click", (event) => {
    event.stopPropagation();
    unmute();
  });
  el.ar.addEventListener("click", () => {
    if (video.muted) unmute();
  });
  // No sound from a tab in the background; back in front, play on if the print is in view.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") video.pause();
    else if (state.phase === "playing") play(video);
  });
}

// Started by the Start tap, together with the video's first bytes (preload), before the camera.
let markerDownload = null;

el.start.addEventListener("click", () => {
  if (state.phase !== "start") return;
  el.start.disabled = true;
  state.tappedAt = performance.now();
  markerDownload = fetchMarker(config.marker_url);
  markerDownload.catch(() => {}); // reported where it is awaited (startAR)
  video.preload = "auto";
  unlock(video);
  setLoading();
  startAR().catch((err) => fail("error", String(err && err.stack ? err.stack : err)));
});
el.start.disabled = false;

// A computer: offer this page's QR code to continue on a phone (the Start button stays, for a
// webcam).
if (deviceType() === "desktop") {
  const figure = document.getElementById("desktop-qr");
  const image = figure.querySelector("img");
  image.src = image.dataset.src;
  figure.hidden = false;
}
