// The browser side of interop-draft/tests/browser.rs: jszmq's DEALER talks to our ROUTER and its
// SUB listens to our PUB, both over ws://. What it receives is shown in the page (#out, one line
// a frame: "dealer <hex>" or "sub <hex>"), and when all has arrived the page posts what it shows
// back to the test's server (POST /result), which is how the test reads it.
import { Dealer, Sub } from 'jszmq';

const params = new URLSearchParams(location.search);
const expected = Number(params.get('n'));
const out = document.getElementById('out');
const status = document.getElementById('status');
let dealerSeen = 0;
let subSeen = 0;
let subscribed = false;

const hex = (buffer) => Array.from(buffer, (b) => b.toString(16).padStart(2, '0')).join('');

function show(line) {
  out.textContent += line + '\n';
}

function report() {
  if (dealerSeen < expected || subSeen < expected) return;
  status.textContent = 'done';
  fetch('/result', { method: 'POST', body: out.textContent });
}

function fail(error) {
  status.textContent = 'error';
  fetch('/result', { method: 'POST', body: 'error: ' + error });
}

try {
  const dealer = new Dealer();
  dealer.on('message', (...frames) => {
    for (const frame of frames) show('dealer ' + hex(frame));
    dealerSeen += 1;
    report();
  });
  dealer.connect(params.get('router'));
  dealer.send('hello from the browser');

  const sub = new Sub();
  sub.on('message', (...frames) => {
    const text = new TextDecoder().decode(frames[0]);
    if (text === 'news probe') {
      // The subscription has arrived: tell the test through the DEALER, once.
      if (!subscribed) {
        subscribed = true;
        dealer.send('subscribed');
      }
      return;
    }
    for (const frame of frames) show('sub ' + hex(frame));
    subSeen += 1;
    report();
  });
  sub.subscribe('news');
  sub.connect(params.get('pub'));
  status.textContent = 'connecting';
} catch (error) {
  fail(error);
}
