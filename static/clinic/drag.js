// Drag a booked card to another time, column (clinician or room) or day to move it.
// The drop is checked by the move's own service before anything is saved: the page
// reloads with the card in its new place, or the card stays where it was and the reason
// is shown. A time outside the session's window asks first. Plain JavaScript, no build;
// keyboard and touch users have "Move to…" in the card's menu.
(() => {
  "use strict";
  const schedule = document.querySelector(".schedule[data-drop-url]");
  if (!schedule) return;
  const status = document.getElementById("drop-status");
  const firstHour = Number(schedule.dataset.firstHour);
  const rowMinutes = Number(schedule.dataset.rowMinutes);
  const grid = Number(schedule.dataset.grid);
  let dragged = null; // {card, offsetY}

  const csrfToken = () => {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
    } catch {
      return "";
    }
  };

  const tell = (message) => {
    status.textContent = message;
    status.classList.remove("d-none");
    status.scrollIntoView({ block: "nearest" });
  };

  const pad = (n) => String(n).padStart(2, "0");

  // The time a drop at `y` pixels from the top of a column's slots stands for, on the
  // clinic's grid.
  const timeAt = (slots, y) => {
    const rowHeight = parseFloat(getComputedStyle(slots).gridAutoRows) || 1;
    const minutes = firstHour * 60 + Math.max(0, Math.round(y / rowHeight)) * rowMinutes;
    const snapped = Math.round(minutes / grid) * grid;
    return `${pad(Math.floor(snapped / 60))}:${pad(snapped % 60)}`;
  };

  const move = async (card, fields, confirmOutside) => {
    const body = new FormData();
    for (const [name, value] of Object.entries(fields)) body.append(name, value);
    if (confirmOutside) body.append("confirm_outside", "on");
    const url = schedule.dataset.dropUrl.replace("/0/", `/${card.dataset.appointment}/`);
    card.classList.add("is-moving");
    let answer;
    try {
      const response = await fetch(url, {
        method: "POST",
        body,
        headers: { "X-CSRFToken": csrfToken() },
        credentials: "same-origin",
      });
      answer = await response.json();
    } catch {
      answer = { ok: false, message: "The move could not be sent: check the connection." };
    }
    card.classList.remove("is-moving");
    if (answer.ok) {
      window.location.reload();
    } else if (answer.confirm && !confirmOutside && window.confirm(`${answer.message}\n\nMove it anyway?`)) {
      await move(card, fields, true);
    } else {
      tell(answer.message); // the card never left its place
    }
  };

  schedule.addEventListener("dragstart", (event) => {
    const card = event.target.closest("article[draggable='true']");
    if (!card) return;
    dragged = { card, offsetY: event.clientY - card.getBoundingClientRect().top };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.appointment);
    card.classList.add("is-dragged");
  });

  schedule.addEventListener("dragend", () => {
    if (dragged) dragged.card.classList.remove("is-dragged");
    schedule.querySelectorAll(".drop-target").forEach((el) => el.classList.remove("drop-target"));
  });

  schedule.addEventListener("dragover", (event) => {
    const column = event.target.closest(".schedule-col");
    if (!dragged || !column || column.classList.contains("closed-col")) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    schedule.querySelectorAll(".drop-target").forEach((el) => el !== column && el.classList.remove("drop-target"));
    column.classList.add("drop-target");
  });

  schedule.addEventListener("drop", (event) => {
    const column = event.target.closest(".schedule-col");
    if (!dragged || !column) return;
    event.preventDefault();
    const { card, offsetY } = dragged;
    dragged = null;
    column.classList.remove("drop-target");
    const slots = column.querySelector(".slots");
    const y = event.clientY - offsetY - slots.getBoundingClientRect().top;
    const target = column.dataset;
    status.classList.add("d-none");
    move(card, {
      day: target.dropDay,
      time: timeAt(slots, y),
      clinician: target.dropClinician || card.dataset.clinician,
      room: target.dropRoom || card.dataset.room,
    }, false);
  });
})();
