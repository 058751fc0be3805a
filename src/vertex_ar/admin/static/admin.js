// Vertex AR admin: uploads with per-file progress, drag and drop, copy link, confirmations,
// the rotation editor's sections. Everything else is server-rendered (htmx swaps fragments).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  if (window.htmx) {
    // Error answers (422 with the form and its message) are swapped in like any other.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[2345]..", swap: true },
    ];
  }
  document.querySelectorAll("form[data-upload-form]").forEach(setUpUpload);
  document.querySelectorAll(".drop-zone").forEach(setUpDropZone);
  document.querySelectorAll("form.rotation-form").forEach(setUpRotation);
  document.querySelectorAll("form.kind-form").forEach(setUpKindChoice);
});

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(button.dataset.copy);
    button.textContent = button.dataset.copied;
  } catch {
    window.prompt("", button.dataset.copy);
  }
  setTimeout(() => { button.textContent = label; }, 2000);
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
});

function setUpDropZone(zone) {
  const input = zone.querySelector('input[type="file"]');
  if (!input) return;
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("dragging"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    const files = new DataTransfer();
    for (const file of event.dataTransfer.files) {
      if (input.multiple || files.items.length === 0) files.items.add(file);
    }
    input.files = files.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
}

function setUpRotation(form) {
  const sync = () => {
    const checked = form.querySelector('input[name="type"]:checked');
    form.dataset.kind = checked ? checked.value : "none";
  };
  form.addEventListener("change", sync);
  sync();
}

// A form with a section per kind (storage connections) shows the chosen kind's section only.
function setUpKindChoice(form) {
  const select = form.querySelector('select[name="kind"]');
  const sync = () => { form.dataset.kind = select.value; };
  select.addEventListener("change", sync);
  sync();
}

function setUpUpload(form) {
  form.addEventListener("submit", (event) => {
    if (event.defaultPrevented) return;
    event.preventDefault();
    upload(form);
  });
}

function clearErrors(form) {
  form.querySelectorAll(".field-error[data-from-script]").forEach((node) => node.remove());
  form.querySelectorAll('[aria-invalid="true"]').forEach((node) => {
    node.removeAttribute("aria-invalid");
    node.removeAttribute("aria-errormessage");
  });
  const general = form.querySelector("[data-form-error]");
  if (general) { general.hidden = true; general.textContent = ""; }
}

function showError(form, message, field) {
  const input = field && form.querySelector(`[name="${CSS.escape(field)}"]`);
  if (input) {
    const note = document.createElement("p");
    note.className = "field-error";
    note.dataset.fromScript = "";
    note.id = `${input.id}-script-error`;
    note.setAttribute("role", "alert");
    note.textContent = message;
    input.insertAdjacentElement("afterend", note);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-errormessage", note.id);
    input.focus();
    return;
  }
  const general = form.querySelector("[data-form-error]");
  general.textContent = message;
  general.hidden = false;
  general.focus?.();
}

// One request with every file; each file's bar follows the bytes of its own part.
function upload(form) {
  clearErrors(form);
  const data = new FormData(form);
  const list = form.querySelector("[data-progress]");
  const submit = form.querySelector('button[type="submit"]');
  const bars = [];
  let offset = 0;
  for (const [name, value] of data.entries()) {
    if (value instanceof File) {
      if (!value.name && value.size === 0) continue;
      const item = document.createElement("li");
      const label = document.createElement("span");
      label.className = "name";
      label.textContent = value.name;
      const percent = document.createElement("span");
      percent.textContent = "0%";
      const bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", value.name);
      item.append(label, percent, bar);
      bars.push({ start: offset, size: Math.max(value.size, 1), bar, percent });
      offset += value.size + 200;
    } else {
      offset += name.length + String(value).length + 100;
    }
  }
  list.replaceChildren(...bars.map((b) => b.bar.parentElement));
  list.hidden = bars.length === 0;
  submit.disabled = true;

  const request = new XMLHttpRequest();
  request.open("POST", form.action);
  request.setRequestHeader("Accept", "application/json");
  request.upload.addEventListener("progress", (event) => {
    for (const b of bars) {
      const done = Math.min(1, Math.max(0, (event.loaded - b.start) / b.size));
      b.bar.value = Math.round(done * 100);
      b.percent.textContent = `${Math.round(done * 100)}%`;
    }
  });
  request.addEventListener("load", () => {
    let body = {};
    try { body = JSON.parse(request.responseText); } catch { body = {}; }
    if (request.status < 300 && body.location) {
      for (const b of bars) { b.bar.value = 100; b.percent.textContent = "100%"; }
      window.location.assign(body.location);
      return;
    }
    submit.disabled = false;
    showError(form, body.message || `${request.status} ${request.statusText}`, body.field);
  });
  request.addEventListener("error", () => {
    submit.disabled = false;
    showError(form, form.dataset.networkError || "The upload failed: the connection was lost.", null);
  });
  request.send(data);
}
