/**
 * Compose benchmark: 100,000 personalised messages (subject, HTML, derived text part, headers
 * with signed links — not the MIME encoding) from a generated 20 KB HTML template with 10 merge
 * fields and 5 tracked links, click tracking + open pixel + List-Unsubscribe on, in one thread.
 *
 *   node_modules/.bin/node --import tsx bench/compose.bench.ts [messages]
 *
 * Last line: {"messages":100000,"perSec":…,"peakRssMb":…}
 */
import { compileTemplate, type Recipient } from '../lib/compose';

const MESSAGES = Number(process.argv[2] ?? 100_000);
const TEMPLATE_BYTES = 20_000;

function buildTemplate(): string {
	const head = `<!doctype html>
<html><head><meta charset="utf-8"><title>{{ fields.company }} newsletter</title>
<style>p { margin: 0 0 12px; } .btn { background: #1a73e8; color: #fff; }</style></head>
<body style="margin:0;padding:0;background:#f4f4f4">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="background:#ffffff">
<tr><td style="padding:24px;font-family:Arial,sans-serif;font-size:16px;color:#333333">
<h1 style="font-size:22px">Hello {{ name | default: "there" }},</h1>
<p>Your account {{ email }} in {{ fields.city }} is on the {{ fields.plan }} plan.</p>
<p>You have {{ fields.points }} points. Order {{ item.orderId }} shipped on {{ fields.lastOrder }}.</p>
<p>Use coupon <b>{{ fields.coupon }}</b> at {{ company | default: "our shop" }}.</p>
<p><a class="btn" href="https://shop.example.com/deals?plan={{ fields.plan }}&amp;utm_source=newsletter">See your deals</a></p>
`;
	const links = `<p><a href="https://shop.example.com/new">New arrivals</a> ·
<a href="https://shop.example.com/sale?utm_campaign=spring">Spring sale</a> ·
<a href="https://blog.example.com/posts/42">From the blog</a> ·
<a href="https://shop.example.com/account?ref={{ fields.referral }}">Your account</a></p>
`;
	const filler =
		'<p style="line-height:1.5">Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris.</p>\n';
	const foot = `<p style="font-size:12px;color:#888">You receive this because you subscribed.
<a href="{{ unsubscribe_url }}">Unsubscribe</a></p>
</td></tr></table></td></tr></table></body></html>`;
	let body = head + links;
	while (body.length + foot.length < TEMPLATE_BYTES) body += filler;
	return body + foot;
}

function recipient(i: number): Recipient {
	return {
		id: `sub-${i}`,
		email: `user${i}@example.com`,
		name: i % 10 === 0 ? '' : `User <${i}> & Co`,
		fields: {
			city: i % 2 ? 'Tokyo' : 'Osaka',
			plan: i % 3 ? 'basic' : 'pro',
			points: i % 1000,
			lastOrder: '2026-10-01',
			coupon: `C${i}`,
			company: 'Example Shop',
			referral: `r${i}`,
		},
	};
}

function main(): void {
	const html = buildTemplate();
	const compileStart = process.hrtime.bigint();
	const template = compileTemplate(
		{
			subject: '{{ name | default: "Hello" }}, your {{ fields.plan }} deals are here',
			html,
			from: 'Example Shop <news@shop.example.com>',
		},
		{
			baseUrl: 'https://n8n.example.com/webhook/5a1b2c3d/bulk-mail',
			secret: 'bench-secret-0123456789abcdef',
			trackClicks: true,
			trackOpens: true,
			listUnsubscribe: true,
		},
	);
	const compileMs = Number(process.hrtime.bigint() - compileStart) / 1e6;
	if (template.warnings.length) console.log('warnings:', template.warnings);

	// Warm-up, and a check that the message is what the benchmark claims to measure.
	const sample = template.render(recipient(1), { campaignId: 'bench', item: { orderId: 'A-1' } });
	const clickLinks = sample.html.match(/\/click\?t=/g)?.length ?? 0;
	if (
		clickLinks !== 5 ||
		!sample.html.includes('/open?t=') ||
		!sample.headers['List-Unsubscribe'] ||
		!sample.text.includes('Order A-1')
	) {
		throw new Error(`benchmark template is not what it should be (click links: ${clickLinks})`);
	}
	for (let i = 0; i < 2_000; i++)
		template.render(recipient(i), { campaignId: 'bench', item: { orderId: `W-${i}` } });

	let bytes = 0;
	const cpuStart = process.cpuUsage();
	const start = process.hrtime.bigint();
	for (let i = 0; i < MESSAGES; i++) {
		const message = template.render(recipient(i), {
			campaignId: 'bench',
			item: { orderId: `A-${i}` },
		});
		bytes += message.html.length + message.text.length + message.subject.length;
	}
	const seconds = Number(process.hrtime.bigint() - start) / 1e9;
	const cpu = process.cpuUsage(cpuStart);
	const cpuSeconds = (cpu.user + cpu.system) / 1e6;
	const perSec = Math.round(MESSAGES / seconds);
	const peakRssMb = Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
	console.log(
		`template ${html.length} bytes (compiled in ${compileMs.toFixed(1)} ms), ` +
			`${MESSAGES} messages in ${seconds.toFixed(2)} s (${cpuSeconds.toFixed(2)} s CPU, ` +
			`${Math.round(MESSAGES / cpuSeconds)}/s per CPU second), ` +
			`avg output ${Math.round(bytes / MESSAGES)} chars, node ${process.version}`,
	);
	console.log(JSON.stringify({ messages: MESSAGES, perSec, peakRssMb }));
}

main();
