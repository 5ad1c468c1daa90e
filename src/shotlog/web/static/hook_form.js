// The webhook form: show only the subscription kind chosen (changes to entities, or other events)
// and disable the other kind's fields, so what is hidden is not posted. Without this script both
// kinds show, and the server sends back a form that fills in both instead of dropping one.
"use strict";

(function hookForm() {
  const form = document.querySelector("form.hook-form");
  if (!form) return;

  function show() {
    const chosen = form.querySelector('input[name="kind"]:checked');
    for (const part of form.querySelectorAll("[data-kind]")) {
      const on = chosen !== null && part.dataset.kind === chosen.value;
      part.hidden = !on;
      for (const input of part.querySelectorAll("input, select, textarea")) input.disabled = !on;
    }
  }

  for (const hint of form.querySelectorAll("[data-without-script]")) hint.hidden = true;
  for (const radio of form.querySelectorAll("input[data-kind-switch]")) radio.addEventListener("change", show);
  show();
})();
