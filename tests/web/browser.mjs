// The page in headless Chromium: choose Llama 3.3 70B at Q8_0, move the context to 32K, check
// which devices fit, select one and check its cliff chart appears; the URL reproduces the
// view; a phone-sized screen has no sideways scrolling. Usage: node browser.mjs URL SHOT.png
import { chromium } from "playwright-core";

const [url, shot, phoneShot] = process.argv.slice(2);
const fail = (msg) => { throw new Error(msg); };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"],
});
const verdict = (page, id) => page.getAttribute(`#fit tr[data-device="${id}"]`, "data-verdict");
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") console.log(`page console: ${m.text()}`); });
  page.on("requestfailed", (r) => console.log(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  await page.goto(url);
  await page.waitForSelector("#fit tbody tr", { timeout: 15000 }).catch(async (e) => {
    console.log(`page status: ${await page.textContent("#status")}`);
    throw e;
  });

  await page.fill("#model", "Llama 3.3 70B");
  await page.press("#model", "Enter");
  await page.selectOption("#quant", "q8_0");
  await page.focus("#ctx");
  await page.keyboard.press("Home");
  for (let i = 0; i < 20 && (await page.textContent("#ctx-label")) !== "32K"; i++) {
    await page.keyboard.press("ArrowRight");
  }
  if ((await page.textContent("#ctx-label")) !== "32K") fail("the context slider did not reach 32K");
  await page.waitForFunction(() => /Llama 3\.3 70B.*q8_0.*32K/.test(document.getElementById("status").textContent));
  await page.waitForSelector('#fit tr[data-device="rtx-4090"]');

  const want = { "rtx-pro-6000-blackwell": "fits", "apple-m5-max-128gb": "fits" };
  for (const [id, v] of Object.entries(want)) {
    const got = await verdict(page, id);
    if (got !== v) fail(`${id}: verdict ${got}, expected ${v}`);
  }
  const v4090 = await verdict(page, "rtx-4090");
  if (v4090 === "fits") fail("rtx-4090 fits Llama 3.3 70B Q8_0 at 32K; it should not");
  console.log(`table: rtx-pro-6000-blackwell fits, apple-m5-max-128gb fits, rtx-4090 ${v4090}`);

  // Sort by decode speed, then select a device.
  await page.click('#fit th[data-key="decode_tok_s"]');
  await page.click('#fit tr[data-device="rtx-pro-6000-blackwell"]');
  await page.waitForFunction(() => {
    const img = document.getElementById("cliff");
    return !img.hidden && img.complete && img.naturalWidth > 0 && img.src.startsWith("blob:");
  });
  await page.waitForFunction(() => document.getElementById("verify").textContent.startsWith("llama-bench"));
  await page.waitForFunction(() => document.getElementById("be-chart").naturalWidth > 0);
  const caption = await page.textContent("#cliff-caption");
  console.log(`cliff chart shown; ${caption}`);

  const link = page.url();
  for (const part of ["model=llama-3.3-70b", "quant=q8_0", "ctx=32K", "device=rtx-pro-6000-blackwell", "sort=decode_tok_s"]) {
    if (!link.includes(part)) fail(`the URL ${link} lacks ${part}`);
  }
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`screenshot: ${shot}`);

  // The link reproduces the view, on a phone-sized screen.
  const phone = await browser.newPage({ viewport: { width: 375, height: 812 }, isMobile: true });
  await phone.goto(link);
  await phone.waitForSelector('#fit tr[data-device="rtx-pro-6000-blackwell"].selected');
  await phone.waitForFunction(() => document.getElementById("cliff").naturalWidth > 0);
  const restored = await phone.inputValue("#model");
  if (!restored.startsWith("Llama 3.3 70B")) fail(`the link restored the model as '${restored}'`);
  if ((await phone.textContent("#ctx-label")) !== "32K") fail("the link did not restore the context");
  const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
  if (wide > 375) fail(`the page is ${wide} px wide on a 375 px screen`);
  if (phoneShot) await phone.screenshot({ path: phoneShot, fullPage: true });
  if (errors.length) fail(`errors on the page: ${errors.join("; ")}`);
  console.log("browser test passed");
} finally {
  await browser.close();
}
