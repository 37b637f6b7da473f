// A signature drawn with a finger, a stylus or a mouse on the consent page's canvas,
// written as a PNG into the form's hidden field when the form is sent. Without the
// script the page still takes a scanned signed form.
for (const canvas of document.querySelectorAll("canvas[data-signature-for]")) {
  const field = document.getElementById(canvas.dataset.signatureFor);
  const pen = canvas.getContext("2d");
  let drawing = false;
  let drawn = false;
  pen.lineWidth = 2.5;
  pen.lineCap = "round";
  pen.strokeStyle = "#111";

  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    return [
      ((event.clientX - box.left) * canvas.width) / box.width,
      ((event.clientY - box.top) * canvas.height) / box.height,
    ];
  };
  canvas.style.touchAction = "none"; // the finger draws instead of scrolling the page
  canvas.addEventListener("pointerdown", (event) => {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    pen.beginPath();
    pen.moveTo(...at(event));
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    pen.lineTo(...at(event));
    pen.stroke();
    drawn = true;
  });
  const stop = () => {
    drawing = false;
  };
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);

  canvas.closest("form").addEventListener("submit", () => {
    field.value = drawn ? canvas.toDataURL("image/png") : "";
  });
  canvas.closest("fieldset").querySelector(".js-signature-clear").addEventListener("click", () => {
    pen.clearRect(0, 0, canvas.width, canvas.height);
    drawn = false;
    field.value = "";
  });
}
