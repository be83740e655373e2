// The report form's proof of work (only on forms with data-pow): before the form is sent, find a
// counter such that SHA-256("<challenge>:<counter>") starts with the required number of zero
// bits, then send it with the report. See reports/pow.py. SHA-256 is computed here, in plain
// synchronous code (FIPS 180-4): Web Crypto's digest is asynchronous and costs a round trip per
// hash, far too slow for tens of thousands of small hashes.
(function () {
  "use strict";
  // data-pow (the difficulty) is set on the form by the page or by report-form.js.
  var form = document.querySelector("form.report-form");
  if (!form) return;
  var challenge = form.querySelector("[name=pow_challenge]");
  var counterField = form.querySelector("[name=pow_counter]");
  var status = form.querySelector(".pow-status");

  // The first 32 bits of the fractional parts of the cube roots of the first 64 primes.
  var K = new Int32Array(64);
  (function () {
    var n = 0, candidate = 2;
    while (n < 64) {
      var prime = true;
      for (var d = 2; d * d <= candidate; d++) if (candidate % d === 0) { prime = false; break; }
      if (prime) {
        var root = Math.cbrt(candidate);
        K[n++] = ((root - Math.floor(root)) * 4294967296) | 0;
      }
      candidate++;
    }
  })();
  var H0 = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  var W = new Int32Array(64);

  function rotr(x, n) { return (x >>> n) | (x << (32 - n)); }

  // SHA-256 of an ASCII string; returns the first 32 bits of the digest (enough to count zeros).
  function sha256First32(text) {
    var length = text.length, blocks = ((length + 8) >> 6) + 1;
    var words = new Int32Array(blocks * 16);
    for (var i = 0; i < length; i++) words[i >> 2] |= text.charCodeAt(i) << (24 - (i % 4) * 8);
    words[length >> 2] |= 0x80 << (24 - (length % 4) * 8);
    words[blocks * 16 - 1] = length * 8;
    var h = Int32Array.from(H0);
    for (var b = 0; b < blocks; b++) {
      for (var t = 0; t < 64; t++) {
        if (t < 16) W[t] = words[b * 16 + t];
        else {
          var s0 = rotr(W[t - 15], 7) ^ rotr(W[t - 15], 18) ^ (W[t - 15] >>> 3);
          var s1 = rotr(W[t - 2], 17) ^ rotr(W[t - 2], 19) ^ (W[t - 2] >>> 10);
          W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
        }
      }
      var a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
      for (t = 0; t < 64; t++) {
        var t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + W[t]) | 0;
        var t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
        hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = bb; bb = a; a = (t1 + t2) | 0;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + bb) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
      h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + hh) | 0;
    }
    return h[0];
  }
  window.tremorSha256First32 = sha256First32;  // for tests

  function solve(text, bits) {
    for (var counter = 0; ; counter++) {
      if (Math.clz32(sha256First32(text + ":" + counter)) >= bits) return counter;
    }
  }

  form.addEventListener("submit", function (event) {
    if (counterField.value || !form.hasAttribute("data-pow")) return;  // solved, or no challenge
    event.preventDefault();
    var submitter = event.submitter;
    if (status) status.textContent = "Confirming your report…";
    // Let the message paint before the (short) computation.
    setTimeout(function () {
      counterField.value = String(solve(challenge.value, Number(form.getAttribute("data-pow"))));
      form.requestSubmit(submitter);
    }, 0);
  });
})();
