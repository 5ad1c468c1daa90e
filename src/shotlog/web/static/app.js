// shotlog web UI: small progressive enhancements. Every page works without this file.
"use strict";

// Selects marked data-autosubmit submit their form when changed (the page-size menu).
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
    target.form.requestSubmit();
  }
});

// Forms with data-confirm ask before submitting (delete, discard, replay).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// A moment as the page's times are shown: in the page's time zone (data-zone), named.
function pageTime(when) {
  const options = { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "short" };
  try {
    return when.toLocaleTimeString("en-GB", { ...options, timeZone: document.body.dataset.zone || "UTC" });
  } catch (err) {
    return when.toLocaleTimeString("en-GB", options);
  }
}

// Live mode: poll the page's JSON endpoint every second and put new rows on top of the table.
(function live() {
  const list = document.getElementById("event-list");
  if (!list || !list.dataset.liveUrl) return;
  const tbody = document.getElementById("event-rows");
  const status = document.getElementById("live-status");
  const size = Number(list.dataset.size || "50");
  let head = list.dataset.head || "0";
  let failures = 0;
  let busy = false;

  // New rows join the total and, on the first page, the range: "Events 1–50 of 12,346" (the
  // server's words, orientation.range_text; "about" stays only on an estimate).
  const count = document.getElementById("event-count");
  function recount(added) {
    if (!count || count.dataset.total === undefined) return;
    const total = Number(count.dataset.total) + added;
    const first = Number(count.dataset.first);
    count.dataset.total = String(total);
    const about = count.dataset.exact === "1" ? "" : "about ";
    const last = first - 1 + tbody.rows.length;
    const range = document.getElementById("event-range");
    if (range) {
      const shown = last === first ? `Event ${first.toLocaleString("en-US")}` : `Events ${first.toLocaleString("en-US")}–${last.toLocaleString("en-US")}`;
      range.textContent = `${shown} of ${about}${Math.max(total, last).toLocaleString("en-US")}`;
    }
    const pageNo = document.getElementById("page-no");
    if (pageNo && first === 1) {
      const pages = Math.max(1, Math.ceil(total / Number(count.dataset.size || size)));
      pageNo.textContent = `Page 1 of ${about}${pages.toLocaleString("en-US")}`;
    }
  }

  async function poll() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const sep = list.dataset.liveUrl.includes("?") ? "&" : "?";
      const response = await fetch(`${list.dataset.liveUrl}${sep}head=${encodeURIComponent(head)}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (response.status === 401) {
        status.textContent = "Live stopped: your session ended. Reload to sign in again.";
        clearInterval(timer);
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      failures = 0;
      if (data.count > 0) {
        tbody.insertAdjacentHTML("afterbegin", data.html);
        while (tbody.rows.length > size) tbody.deleteRow(tbody.rows.length - 1);
        const empty = list.querySelector(".empty");
        if (empty) empty.remove();
        head = String(data.head);
        recount(data.count);
        status.textContent = `Live: ${data.count} new event${data.count === 1 ? "" : "s"} at ${pageTime(new Date())}`;
      } else {
        status.textContent = `Live: up to date (newest #${head})`;
      }
    } catch (err) {
      failures += 1;
      status.textContent = `Live: cannot reach the server (${failures})…`;
    } finally {
      busy = false;
    }
  }

  const timer = setInterval(poll, 1000);
  poll();
})();

// Action Menu Items: trigger through /api/v1/action_menu_items/{id}/trigger, then do what it says:
// download an export, or open the item's URL with FPTR's POST fields in a new tab.
document.querySelectorAll(".ami").forEach((menu) => {
  menu.hidden = false;
  const status = menu.querySelector(".ami-status");
  const ids = (name) => (menu.dataset[name] || "").split(",").filter((x) => x);
  menu.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-ami]");
    if (!button) return;
    menu.querySelector("details").open = false;
    status.textContent = `Running “${button.dataset.amiTitle}”…`;
    const body = {
      entity_type: menu.dataset.amiType,
      selected_ids: ids("amiSelected"),
      ids: ids("amiIds"),
      title: button.dataset.amiTitle,
      referrer_path: location.pathname + location.search,
    };
    if (menu.dataset.amiProject) body.project_id = Number(menu.dataset.amiProject);
    if (menu.dataset.amiQuery) body.query = JSON.parse(menu.dataset.amiQuery);
    try {
      const response = await fetch(`/api/v1/action_menu_items/${button.dataset.ami}/trigger`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": menu.dataset.csrf },
        body: JSON.stringify(body),
      });
      const type = response.headers.get("content-type") || "";
      if (!response.ok) {
        const data = type.includes("json") ? await response.json() : {};
        const error = (data.errors && data.errors[0] && data.errors[0].title) || `HTTP ${response.status}`;
        status.textContent = `“${button.dataset.amiTitle}” failed: ${error}`;
        return;
      }
      if (!type.includes("json")) {
        const name = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") || "");
        const link = document.createElement("a");
        link.href = URL.createObjectURL(await response.blob());
        link.download = name ? name[1] : "events.csv";
        document.body.append(link);
        link.click();
        link.remove();
        status.textContent = `Downloaded ${link.download}`;
        return;
      }
      const data = await response.json();
      if (data.action === "post" && data.url) {
        const form = document.createElement("form");
        form.method = "post";
        form.action = data.url;
        form.target = "_blank";
        for (const [key, value] of data.form || []) {
          const input = document.createElement("input");
          input.type = "hidden";
          input.name = key;
          input.value = value;
          form.append(input);
        }
        document.body.append(form);
        form.submit();
        form.remove();
        status.textContent = `Opened ${data.url}`;
      } else {
        status.textContent = `“${button.dataset.amiTitle}” done.`;
      }
    } catch (err) {
      status.textContent = `“${button.dataset.amiTitle}” failed: ${err}`;
    }
  });
});

// Times are shown in the reader's time zone: the one chosen on the account page, else the browser's,
// which this tells the server in a cookie (shotlog_tz). The sign-in page sets it, so pages are in
// the browser's zone from the first one; a page shown in another zone (a first visit, a laptop
// that travelled) is loaded again once, when the cookie changes. Only plain page loads are.
(function browserZone() {
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (err) {
    return;
  }
  // zone names are cookie-safe as they are (Europe/Paris, Etc/GMT+5); the server checks the name
  if (!/^[A-Za-z0-9_+\-/]+$/.test(zone)) return;
  const sent = document.cookie.split("; ").find((c) => c.startsWith("shotlog_tz="));
  if (sent && sent.slice("shotlog_tz=".length) === zone) return;
  const secure = location.protocol === "https:" ? "; secure" : "";
  document.cookie = `shotlog_tz=${zone}; path=/; max-age=31536000; samesite=lax${secure}`;
  const body = document.body.dataset;
  if (body.zoneReload === "1" && body.zoneSource !== "chosen" && body.zone !== zone) location.reload();
})();

// Phones: the top bar's sections and account fold behind a Menu button (CSS decides when).
(function menu() {
  const toggle = document.querySelector(".menu-toggle");
  const bar = document.querySelector(".topbar");
  if (!toggle || !bar) return;
  bar.classList.add("foldable");
  toggle.hidden = false;
  toggle.addEventListener("click", () => {
    const open = bar.classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(open));
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && bar.classList.contains("open")) {
      bar.classList.remove("open");
      toggle.setAttribute("aria-expanded", "false");
      toggle.focus();
    }
  });
})();
