// Vertex AR viewer: a start screen whose tap starts camera, sound and playback; MindAR finds the
// print and a plane on it plays today's video; where AR cannot run, a plain player plays it.
//
// Phases (overlay data-state): start → loading → scanning ⇄ playing; or fallback (the plain
// player; state.path says why); or a failure: insecure / no-camera / camera-denied /
// camera-busy / error. window.vertexViewer holds the live state (read by the browser tests).
// The engine (MindAR, three.js) is imported on phones as the page opens, so that the tap only
// has to open the camera; desktops see a QR code to scan first.

const config = JSON.parse(document.getElementById("viewer-config").textContent);
const T = config.text;
const el = {
  ar: document.getElementById("ar"),
  start: document.getElementById("start"),
  startButton: document.getElementById("start-button"),
  desktop: document.getElementById("desktop"),
  desktopContinue: document.getElementById("desktop-continue"),
  overlay: document.getElementById("overlay"),
  title: document.getElementById("state-title"),
  text: document.getElementById("state-text"),
  action: document.getElementById("state-action"),
  hint: document.getElementById("hint"),
  sound: document.getElementById("sound"),
  picker: document.getElementById("camera-picker"),
  camera: document.getElementById("camera"),
  fallback: document.getElementById("fallback"),
  fallbackPlayer: document.getElementById("fallback-player"),
  fallbackNote: document.getElementById("fallback-note"),
};

const SESSION_AFTER_MS = 30000;
const SCAN_SESSION_MS = 120000;
const CAMERA_TIMEOUT_MS = 60000; // the permission prompt waits for the visitor
const MAX_LINK_REFRESHES = 3;
const REAR = /back|rear|environment|задн|後|背面|arrière|trasera|rück/i;

const state = {
  phase: "start",
  path: null, // "ar" or "fallback_*": sent with the session
  videoId: config.video_id,
  foundCount: 0,
  lostCount: 0,
  engineStartMs: null, // camera granted → tracker running
  timeToDetectionMs: null, // tracker running → first find
  frames: 0,
  startedAt: null,
  sessionSent: false,
  restarts: 0,
  rearCameras: 0,
  error: null,
};
window.vertexViewer = state;
const openedAt = performance.now();

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

const device = deviceType(); // once: user agent overrides may not hold while the page unloads

function setPhase(phase) {
  state.phase = phase;
  el.overlay.dataset.state = phase;
  el.overlay.hidden = ["start", "scanning", "playing", "fallback"].includes(phase);
  el.hint.hidden = phase !== "scanning";
  if (phase !== "playing") el.sound.hidden = true;
}

function fail(kind, detail) {
  state.error = detail ? `${kind}: ${detail}` : kind;
  setPhase(kind);
  el.title.textContent = T[`${kind}_title`] || T.error_title;
  el.text.textContent = T[`${kind}_text`] || T.error_text;
  el.action.textContent = T.try_again;
  el.action.hidden = kind === "no-camera";
  el.action.onclick = () => location.reload();
}

function hasWebGL() {
  try {
    const canvas = document.createElement("canvas");
    return Boolean(canvas.getContext("webgl2") || canvas.getContext("webgl"));
  } catch {
    return false;
  }
}

function cameraFailure(err) {
  const name = err && err.name;
  if (name === "NotAllowedError" || name === "SecurityError") return "camera-denied";
  if (name === "NotFoundError" || name === "OverconstrainedError") return "no-camera";
  if (name === "NotReadableError" || name === "AbortError") return "camera-busy";
  return "error";
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
    device_type: device,
    found: state.foundCount > 0,
    time_to_detection_ms: state.timeToDetectionMs === null ? null : round(state.timeToDetectionMs, 1),
    fps: trackingSeconds > 1 ? Math.min(240, round(state.frames / trackingSeconds, 2)) : null,
    duration_seconds: Math.min(86400, round((now - openedAt) / 1000, 2)),
    viewer_path: state.path,
    engine_start_ms: state.engineStartMs === null ? null : round(state.engineStartMs, 1),
  });
  // A string body goes as text/plain: no CORS preflight, accepted while the page unloads.
  if (!(navigator.sendBeacon && navigator.sendBeacon(config.session_url, body))) {
    fetch(config.session_url, { method: "POST", body, keepalive: true }).catch(() => {});
  }
}
// Phones often never fire pagehide, so a session also goes by timer: 30 s after the content is
// first seen (found, or the plain player), or after SCAN_SESSION_MS of scanning without a find.
// Leaving sends it at once.
let sessionTimer = null;
function sessionIn(ms) {
  clearTimeout(sessionTimer);
  sessionTimer = setTimeout(sendSession, ms);
}
addEventListener("pagehide", sendSession);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") sendSession();
});

function createVideo(info) {
  const video = document.createElement("video");
  video.className = "source-video";
  video.crossOrigin = "anonymous"; // a storage backend may serve from its own host (CORS)
  video.playsInline = true;
  video.setAttribute("playsinline", "");
  video.setAttribute("webkit-playsinline", "");
  video.loop = true;
  video.preload = "auto"; // the first bytes load while the camera starts
  if (info.poster) video.poster = info.poster;
  video.src = info.url;
  document.body.appendChild(video);
  return video;
}

// Inside the tap: a play() makes this element allowed to play with sound later (iOS ties it to
// the element, Chrome to the page); pause at once, it plays when the print is found.
function unlock(video) {
  video.muted = false;
  const attempt = video.play();
  video.pause();
  if (attempt) attempt.catch(() => {});
}

function updateSoundButton(video) {
  el.sound.hidden = state.phase !== "playing";
  el.sound.textContent = video.muted ? T.tap_for_sound : T.sound_on;
  el.sound.classList.toggle("muted", video.muted);
}

function play(video) {
  video.play().then(
    () => updateSoundButton(video),
    () => {
      // Refused anyway (low-power mode, an old WebView): sound off, or one more tap.
      if (!video.muted) {
        video.muted = true;
        play(video);
        return;
      }
      el.sound.hidden = false;
      el.sound.textContent = T.tap_to_play;
    },
  );
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
      const wasPlaying = !video.paused;
      state.videoId = fresh.video_id;
      video.src = fresh.url;
      if (fresh.video_id === config.video_id) video.currentTime = at;
      if (wasPlaying) play(video);
    } catch {
      // Offline: the next error tries again.
    }
  });
}

async function fetchMarker(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`marker download failed (${response.status})`);
  // MindAR fetches the target itself but never reports a failed load (its start() would hang):
  // load it here and hand MindAR a local blob URL.
  return URL.createObjectURL(await response.blob());
}

function timeout(ms, what) {
  return new Promise((_, reject) => setTimeout(() => reject(new TimeoutError(what)), ms));
}

class TimeoutError extends Error {}

// The plain player: the visitor still gets the content where AR cannot run.
let fallbackVideo = null;
function fallBack(reason, video) {
  if (state.path && state.path.startsWith("fallback")) return;
  state.path = `fallback_${reason}`;
  el.ar.hidden = true;
  el.picker.hidden = true;
  el.start.hidden = true;
  el.fallbackNote.textContent = T[`fallback_${reason}`];
  video.className = "fallback-video";
  if (config.alpha_packing === "side_by_side") el.fallbackPlayer.classList.add("packed");
  video.controls = true;
  el.fallbackPlayer.appendChild(video);
  el.fallback.hidden = false;
  fallbackVideo = video;
  setPhase("fallback");
  sessionIn(SESSION_AFTER_MS);
  video.muted = false;
  video.play().catch(() => {}); // the controls let the visitor start it
}

// The video plane: one shader for plain, side-by-side alpha and chroma-keyed video. The texture's
// colours are sampled as stored (sRGB) and written as they are, so they look as in a player.
const VERTEX = `
varying vec2 vUv;
void main() {
  vUv = uv;
  gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
}`;
const FRAGMENT = `
uniform sampler2D map;
uniform bool hasMap;
uniform bool packed;
uniform bool keyed;
uniform vec3 keyColor;
uniform float tolerance;
varying vec2 vUv;
vec2 chroma(vec3 c) {
  return vec2(-0.1687 * c.r - 0.3313 * c.g + 0.5 * c.b, 0.5 * c.r - 0.4187 * c.g - 0.0813 * c.b);
}
void main() {
  if (!hasMap) { gl_FragColor = vec4(0.0, 0.0, 0.0, 0.35); return; }
  vec4 colour;
  if (packed) {
    colour = texture2D(map, vec2(vUv.x * 0.5, vUv.y));
    colour.a = texture2D(map, vec2(0.5 + vUv.x * 0.5, vUv.y)).g;
  } else {
    colour = texture2D(map, vUv);
  }
  if (keyed) {
    float distance = length(chroma(colour.rgb) - chroma(keyColor));
    colour.a *= smoothstep(tolerance * 0.5, tolerance, distance);
  }
  gl_FragColor = colour;
}`;

function hexColor(THREE, hex) {
  const value = parseInt(hex.slice(1), 16);
  return new THREE.Vector3(((value >> 16) & 255) / 255, ((value >> 8) & 255) / 255, (value & 255) / 255);
}

// The target spans 1 × aspect in anchor units (MindAR: one unit = the target's width, origin at
// its centre). The video keeps its own aspect and fits inside.
function planeSize(targetAspect, videoAspect) {
  return videoAspect > targetAspect ? [targetAspect / videoAspect, targetAspect] : [1, videoAspect];
}

function buildPlane(THREE, video, info) {
  const packed = info.alpha_packing === "side_by_side";
  const key = info.chroma_key;
  const material = new THREE.ShaderMaterial({
    uniforms: {
      map: { value: null },
      hasMap: { value: false },
      packed: { value: packed },
      keyed: { value: Boolean(key) },
      keyColor: { value: key ? hexColor(THREE, key.color) : new THREE.Vector3() },
      tolerance: { value: key ? Math.max(0.01, key.tolerance) : 0 },
    },
    vertexShader: VERTEX,
    fragmentShader: FRAGMENT,
    transparent: true,
  });
  const setMap = (texture) => {
    material.uniforms.map.value = texture;
    material.uniforms.hasMap.value = true;
  };
  const mesh = new THREE.Mesh(new THREE.PlaneGeometry(1, 1), material);
  const fit = (targetAspect) => {
    const w = (video.videoWidth || info.width || 16) / (packed ? 2 : 1);
    const h = video.videoHeight || info.height || 9;
    const [pw, ph] = planeSize(targetAspect, h / w);
    mesh.scale.set(pw, ph, 1);
  };
  let targetAspect = info.target_height / info.target_width;
  fit(targetAspect);
  if (info.poster) {
    new THREE.TextureLoader().load(info.poster, (poster) => {
      if (!material.uniforms.hasMap.value) setMap(poster);
    });
  }
  const texture = new THREE.VideoTexture(video);
  video.addEventListener("loadedmetadata", () => fit(targetAspect));
  video.addEventListener("playing", () => setMap(texture));
  return {
    mesh,
    setTargetAspect(aspect) {
      targetAspect = aspect;
      fit(aspect);
    },
  };
}

async function rearCameras() {
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    return devices.filter((d) => d.kind === "videoinput" && REAR.test(d.label));
  } catch {
    return [];
  }
}

// Phones: the engine loads while the visitor reads the start screen.
const isDesktop = device === "desktop";
let engine = null;
function loadEngine() {
  if (!engine) engine = Promise.all([import("three"), import("mindar-image-three")]);
  return engine;
}

async function startAR(video, tappedAt) {
  if (!hasWebGL()) return fallBack("no_webgl", video);
  if (!window.isSecureContext) return fail("insecure");
  if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) return fail("no-camera");
  const marker = fetchMarker(config.marker_url); // the .mind downloads while the camera opens
  marker.catch(() => {});

  // Ask for the camera first: the prompt is the visitor's time, not the engine's, and its error
  // says what to do. MindAR opens it again, without a prompt, once granted.
  try {
    const stream = await Promise.race([
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }),
      timeout(CAMERA_TIMEOUT_MS, "camera"),
    ]);
    stream.getTracks().forEach((track) => track.stop());
  } catch (err) {
    return fail(cameraFailure(err), String(err));
  }
  const cameraAt = performance.now();

  let THREE, MindARThree, markerUrl;
  const engineRunning = (async () => {
    let mindarModule;
    [THREE, mindarModule] = await loadEngine();
    MindARThree = mindarModule.MindARThree;
    markerUrl = await marker;
    let mindar;
    try {
      mindar = new MindARThree({
        container: el.ar,
        imageTargetSrc: markerUrl,
        uiLoading: "no",
        uiScanning: "no",
        uiError: "no",
        filterMinCF: config.tracking.filter_min_cf,
        filterBeta: config.tracking.filter_beta,
      });
    } catch (err) {
      throw Object.assign(new Error(String(err)), { noWebGL: true });
    }
    const plane = buildPlane(THREE, video, config);
    return { mindar, plane, started: mindar.start().then(() => mindar) };
  })();

  let parts;
  try {
    parts = await Promise.race([engineRunning, timeout(config.engine_timeout_ms, "engine")]);
    await Promise.race([parts.started, timeout(config.engine_timeout_ms - (performance.now() - cameraAt), "engine")]);
  } catch (err) {
    if (err instanceof TimeoutError) {
      // Still compiling shaders or loading: stop it when it finally starts, play the video now.
      engineRunning.then((p) => p.started.then((m) => m.stop())).catch(() => {});
      return fallBack("engine_timeout", video);
    }
    if (err && err.noWebGL) return fallBack("no_webgl", video);
    return fail("error", String(err && err.stack ? err.stack : err));
  }
  const { mindar, plane } = parts;
  if (state.path) return; // fell back meanwhile
  state.path = "ar";
  state.engineStartMs = performance.now() - cameraAt;
  state.startedAt = performance.now();
  state.tappedToRunningMs = performance.now() - tappedAt;
  sessionIn(SCAN_SESSION_MS);
  const anchor = mindar.addAnchor(0);
  anchor.group.add(plane.mesh);
  anchor.onTargetFound = () => {
    state.foundCount += 1;
    if (state.timeToDetectionMs === null) {
      state.timeToDetectionMs = performance.now() - state.startedAt;
      sessionIn(SESSION_AFTER_MS);
    }
    setPhase("playing");
    play(video);
  };
  anchor.onTargetLost = () => {
    state.lostCount += 1;
    video.pause();
    setPhase("scanning");
  };

  const { renderer, scene, camera } = mindar;
  Object.defineProperty(state, "renderer", { value: renderer }); // not enumerable: state stays JSON
  renderer.domElement.addEventListener("webglcontextlost", () => {
    renderer.setAnimationLoop(null);
    try {
      mindar.stop();
    } catch {
      // already stopped
    }
    state.path = null;
    fallBack("webgl_lost", video);
  });
  const countFrames = () => {
    // Count tracker frames for the session's fps; MindAR reports each processed frame.
    const onUpdate = mindar.controller.onUpdate;
    mindar.controller.onUpdate = (data) => {
      if (data.type === "processDone") state.frames += 1;
      onUpdate(data);
    };
    const [markerWidth, markerHeight] = mindar.controller.markerDimensions[0];
    plane.setTargetAspect(markerHeight / markerWidth);
  };
  countFrames();
  if (state.phase === "loading") setPhase("scanning");
  renderer.setAnimationLoop(() => renderer.render(scene, camera));

  // A camera switch or an orientation change that turns the camera's frame needs a fresh
  // tracker: MindAR sizes its input once, at start.
  let restarting = false;
  const restart = async () => {
    if (restarting) return;
    restarting = true;
    try {
      video.pause();
      mindar.stop();
      await mindar.start();
      state.restarts += 1;
      countFrames();
      setPhase("scanning");
    } catch (err) {
      fail("error", String(err));
    } finally {
      restarting = false;
    }
  };
  const onOrientation = () =>
    setTimeout(() => {
      const frame = mindar.video;
      const input = mindar.controller;
      if (!frame || !frame.videoWidth) return;
      const turned = frame.videoWidth > frame.videoHeight !== input.inputWidth > input.inputHeight;
      if (turned) restart();
    }, 700);
  if (screen.orientation) screen.orientation.addEventListener("change", onOrientation);
  addEventListener("orientationchange", onOrientation);
  addEventListener("resize", onOrientation);

  const cameras = await rearCameras();
  state.rearCameras = cameras.length;
  if (cameras.length > 1) {
    for (const device of cameras) {
      const option = document.createElement("option");
      option.value = device.deviceId;
      option.textContent = device.label;
      el.camera.appendChild(option);
    }
    el.picker.hidden = false;
    el.camera.addEventListener("change", () => {
      mindar.environmentDeviceId = el.camera.value;
      restart();
    });
  }

  // Where the video plane's corners are on screen (CSS px; TL, TR, BR, BL), as last rendered,
  // and the canvas pixel at a point of the video (u, v in 0..1 from the top left).
  const project = (x, y) => {
    const { clientWidth: w, clientHeight: h } = el.ar;
    const p = new THREE.Vector3(x, y, 0).applyMatrix4(plane.mesh.matrixWorld).project(camera);
    return [((p.x + 1) / 2) * w, ((1 - p.y) / 2) * h];
  };
  state.planeCorners = () => [[-0.5, 0.5], [0.5, 0.5], [0.5, -0.5], [-0.5, -0.5]].map(([x, y]) => project(x, y));
  state.probe = (u, v) => {
    const [x, y] = project(u - 0.5, 0.5 - v);
    renderer.render(scene, camera); // read in the same task as the draw: no preserved buffer needed
    const gl = renderer.getContext();
    const ratio = renderer.getPixelRatio();
    const pixel = new Uint8Array(4);
    gl.readPixels(Math.round(x * ratio), Math.round(gl.drawingBufferHeight - y * ratio), 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
    return { x, y, rgba: Array.from(pixel) };
  };

  const toggleSound = () => {
    if (state.phase !== "playing") return;
    video.muted = !video.muted;
    play(video);
  };
  el.sound.addEventListener("click", (event) => {
    event.stopPropagation();
    toggleSound();
  });
  el.ar.addEventListener("click", () => {
    if (video.muted) toggleSound();
  });
  // No sound from a tab in the background; back in front, play on if the print is in view.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") video.pause();
    else if (state.phase === "playing") play(video);
  });
}

function onStart() {
  const tappedAt = performance.now();
  el.start.hidden = true;
  setPhase("loading");
  const video = createVideo(config);
  keepLinksFresh(video);
  unlock(video);
  state.video = video;
  startAR(video, tappedAt).catch((err) => fail("error", String(err && err.stack ? err.stack : err)));
}

function main() {
  el.startButton.addEventListener("click", onStart, { once: true });
  el.startButton.disabled = false;
  if (isDesktop) {
    el.desktop.hidden = false;
    el.start.hidden = true;
    state.phase = "desktop";
    el.desktopContinue.addEventListener("click", () => {
      el.desktop.hidden = true;
      el.start.hidden = false;
      state.phase = "start";
      if (hasWebGL()) loadEngine().catch(() => {});
    });
  } else if (hasWebGL()) {
    loadEngine().catch(() => {}); // a failed load shows when Start is tapped
  }
  document.addEventListener("visibilitychange", () => {
    if (!fallbackVideo) return;
    if (document.visibilityState === "hidden") fallbackVideo.pause();
  });
}

main();
