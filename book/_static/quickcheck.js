/* Quick checks of the course book (book/_ext/course_quickcheck.py writes the HTML).
   Multiple choice: a click on an option marks it right or wrong and shows its
   explanation; "select all that apply" checks (data-kind="multi") are checked with a
   button. Numeric: the typed number (0.25, 1/4, 2.5e-3, 25%) is compared with
   data-answer +- data-tolerance. Plain JavaScript, nothing is fetched. */
(function () {
  "use strict";

  function say(box, right, text) {
    const fb = box.querySelector(":scope > .qc-feedback");
    fb.textContent = text;
    fb.className = "qc-feedback " + (right ? "qc-right" : "qc-wrong");
  }

  function choice(box) {
    const items = Array.from(box.querySelectorAll(":scope .qc-option"));
    for (const item of items) {
      item.querySelector(".qc-choice").addEventListener("click", () => {
        for (const other of items) {
          other.classList.remove("qc-picked-right", "qc-picked-wrong");
          other.querySelector(".qc-why").hidden = true;
        }
        const right = item.dataset.right === "1";
        item.classList.add(right ? "qc-picked-right" : "qc-picked-wrong");
        item.querySelector(".qc-why").hidden = false;
        say(box, right, right ? "Right." : "Not quite: read why, then try another answer.");
      });
    }
  }

  function multi(box) {
    const items = Array.from(box.querySelectorAll(":scope .qc-option"));
    for (const item of items) {
      item.querySelector(".qc-choice").setAttribute("aria-pressed", "false");
      item.querySelector(".qc-choice").addEventListener("click", (ev) => {
        const button = ev.currentTarget;
        const on = button.getAttribute("aria-pressed") !== "true";
        button.setAttribute("aria-pressed", on ? "true" : "false");
        item.classList.toggle("qc-selected", on);
      });
    }
    const check = document.createElement("button");
    check.type = "button";
    check.className = "qc-check";
    check.textContent = "Check";
    box.querySelector(":scope > .qc-options").after(check);
    check.addEventListener("click", () => {
      let wrong = 0;
      for (const item of items) {
        const picked = item.classList.contains("qc-selected");
        const right = item.dataset.right === "1";
        item.classList.remove("qc-picked-right", "qc-picked-wrong");
        if (picked || right) item.querySelector(".qc-why").hidden = false;
        if (picked !== right) wrong += 1;
        if (picked) item.classList.add(right ? "qc-picked-right" : "qc-picked-wrong");
      }
      say(box, wrong === 0, wrong === 0 ? "Right: exactly these." :
        `Not quite: ${wrong} option${wrong > 1 ? "s are" : " is"} set wrongly. Read the explanations and try again.`);
    });
  }

  /* "0.25", "1/4", "-2.5e-3", "25%", "1,000" -> number, or NaN */
  function parseNumber(text) {
    let t = text.trim().replace(/\u2212/g, "-").replace(/,(?=\d{3}\b)/g, "").replace(/\s+/g, "");
    let scale = 1;
    if (t.endsWith("%")) { scale = 0.01; t = t.slice(0, -1); }
    const num = "[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?";
    let m = t.match(new RegExp(`^(${num})$`));
    if (m) return scale * parseFloat(m[1]);
    m = t.match(new RegExp(`^(${num})/(${num})$`));
    if (m && parseFloat(m[2]) !== 0) return scale * parseFloat(m[1]) / parseFloat(m[2]);
    return NaN;
  }

  function numeric(box) {
    const input = box.querySelector(".qc-input");
    const answer = parseFloat(box.dataset.answer);
    const tol = parseFloat(box.dataset.tolerance);
    const explanation = box.querySelector(":scope > .qc-explanation");
    const check = () => {
      const value = parseNumber(input.value);
      if (Number.isNaN(value)) {
        say(box, false, `"${input.value.trim()}" is not a number: type e.g. 0.25, 1/4, 2.5e-3 or 25%.`);
        return;
      }
      if (Math.abs(value - answer) <= tol * (1 + 1e-9)) {
        say(box, true, `Right: ${input.value.trim()}.`);
        explanation.hidden = false;
      } else {
        const hint = box.dataset.hint ? " Hint: " + box.dataset.hint : " Try again.";
        say(box, false, `Not quite: ${input.value.trim()} is not it.` + hint);
      }
    };
    box.querySelector(".qc-check").addEventListener("click", check);
    input.addEventListener("keydown", (ev) => { if (ev.key === "Enter") check(); });
    box.querySelector(".qc-reveal").addEventListener("click", () => {
      explanation.hidden = false;
      say(box, true, `The answer: ${box.dataset.answer}.`);
    });
  }

  function init() {
    for (const box of document.querySelectorAll("div.quickcheck:not(.qc-ready)")) {
      const kind = box.dataset.kind;
      if (kind === "choice") choice(box);
      else if (kind === "multi") multi(box);
      else if (kind === "number") numeric(box);
      box.classList.add("qc-ready");
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
