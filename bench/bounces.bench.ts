/**
 * npm run bench:bounces -- <corpus folder> [--details] — accuracy and speed of the bounce
 * classifier over a folder in the shared corpus's layout: `<family>-<nn>.eml` files, an
 * `expected.json` with Sisimai's verdicts per file (one entry per failed recipient), and a
 * `not-bounce/` folder of ordinary mail.
 *
 * The last line is one JSON object:
 *   {"messages", "bounces", "bouncesRecognised", "bouncesRecognisedRate", "hardAgreement",
 *    "falseHardRate", "kindAgreement", "reasonAgreement", "complaints", "complaintsRecognisedRate",
 *    "autoReplies", "autoRepliesKeptOutRate", "successDsns", "successKeptOutRate", "notBounces",
 *    "notBounceKeptOutRate", "messagesPerSec", …}
 * Complaints recognised = type `complaint` (a report may redact the complained-about address:
 * complaintsWithAddressRate counts those that also name it). A failure that is a delay notice
 * (DSN Action: delayed) is classified `delayed`, not a bounce, and counted in delayNotices.
 * Bounces are the files whose expected first reason is a failure; recognised = type `bounce`
 * with a valid first recipient address. Agreement figures compare that first recipient with
 * Sisimai's first entry (hard/not-hard by its flag, kind by the README's table); false hard =
 * we say hard where Sisimai does not, over recognised bounces. Kept out = not read as a bounce or
 * complaint. Speed: every message classified from memory, repeated for at least two seconds,
 * on one core: messagesPerSec by the wall clock, messagesPerCpuSec by this process's CPU time
 * (the figure to trust on a shared, busy machine). `--details` prints each disagreement, grouped by family, before the JSON line.
 *
 * Targets (issue 15): recognised ≥ 97 %, complaints ≥ 95 %, auto-replies, success DSNs and
 * not-bounce 100 % kept out, hard agreement ≥ 97 %, false hard ≤ 0.5 %, kind ≥ 95 %,
 * reason ≥ 85 %, ≥ 2,000 messages/s.
 * Measured 2026-12 on shared/bounce-corpus (399 messages) on the shared 2-core machine under a
 * load average of 15–26: recognised 97.1 % (367/378; the other 11 are delay notices, classified
 * `delayed`), hard agreement 97.3 %, false hard 0, kind 95.6 %, reason 89.1 %, complaints 100 %
 * (92 % with the address; one report redacts it), everything else kept out 100 %; 1,000–5,000
 * messages/s by the wall clock there, 6,400–7,600 per CPU second.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { classifyBounce, isFailureReason, kindOfReason, type BounceReason, type Classification } from '../lib/bounce';

interface Expected {
	status: string;
	code: string;
	reason: BounceReason;
	hard: boolean;
}

const args = process.argv.slice(2);
const folder = args.find((arg) => !arg.startsWith('--'));
const details = args.includes('--details');
if (!folder || !existsSync(folder)) {
	process.stderr.write('usage: npm run bench:bounces -- <corpus folder> [--details]\n');
	process.exit(2);
}

const expected = JSON.parse(readFileSync(path.join(folder, 'expected.json'), 'utf8')) as Record<string, Expected[]>;
const files = readdirSync(folder).filter((name) => name.endsWith('.eml')).sort().map((name) => ({ name: name.slice(0, -4), raw: readFileSync(path.join(folder, name)) }));
const notBounceDir = path.join(folder, 'not-bounce');
const others = existsSync(notBounceDir)
	? readdirSync(notBounceDir).filter((name) => name.endsWith('.eml')).sort().map((name) => ({ name: `not-bounce/${name.slice(0, -4)}`, raw: readFileSync(path.join(notBounceDir, name)) }))
	: [];

const ratio = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);
const validAddress = (value: string | undefined) => !!value && /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(value);
const keptOut = (result: Classification) => result.type !== 'bounce' && result.type !== 'complaint';

const tally = { delayNotices: 0, bounces: 0, recognised: 0, hardAgree: 0, falseHard: 0, kindAgree: 0, reasonAgree: 0, complaints: 0, complaintsOk: 0, complaintsWithAddress: 0, auto: 0, autoOut: 0, success: 0, successOut: 0, notBounce: 0, notBounceOut: 0 };
const mismatches = new Map<string, string[]>();
const note = (name: string, line: string) => {
	const family = name.replace(/-\d+$/, '');
	mismatches.set(family, [...(mismatches.get(family) ?? []), `${name}: ${line}`]);
};

for (const file of files) {
	const want = expected[file.name]?.[0];
	if (!want) continue;
	const result = classifyBounce(file.raw);
	const first = result.recipients[0];
	const got = `${result.type}/${result.format ?? '-'} ${first ? `${first.reason} ${first.kind} ${first.status ?? '-'} ${first.replyCode ?? '-'} ${first.address} | ${(first.diagnostic ?? '').slice(0, 160)}` : result.note ?? ''}`;
	if (want.reason === 'feedback') {
		tally.complaints++;
		if (result.type === 'complaint') tally.complaintsOk++;
		if (result.type === 'complaint' && first?.kind === 'complaint' && validAddress(first.address)) tally.complaintsWithAddress++;
		else note(file.name, `want complaint with its address, got ${got}`);
	} else if (want.reason === 'vacation') {
		tally.auto++;
		if (keptOut(result)) tally.autoOut++;
		else note(file.name, `want auto-reply, got ${got}`);
	} else if (want.reason === 'delivered') {
		tally.success++;
		if (keptOut(result)) tally.successOut++;
		else note(file.name, `want delivered, got ${got}`);
	} else if (isFailureReason(want.reason)) {
		tally.bounces++;
		if (result.type === 'delayed') tally.delayNotices++;
		if (result.type !== 'bounce' || !validAddress(first?.address)) {
			note(file.name, `want ${want.reason} (${want.status || '-'} ${want.code || '-'}), got ${got}`);
			continue;
		}
		tally.recognised++;
		const hard = first.kind === 'hard';
		if (hard === want.hard) tally.hardAgree++;
		if (hard && !want.hard) tally.falseHard++;
		if (first.kind === kindOfReason(want.reason)) tally.kindAgree++;
		if (first.reason === want.reason) tally.reasonAgree++;
		else note(file.name, `want ${want.reason}${want.hard ? ' HARD' : ''} (${want.status || '-'} ${want.code || '-'}), got ${hard && !want.hard ? 'FALSE HARD ' : ''}${got}`);
	}
}
for (const file of others) {
	tally.notBounce++;
	const result = classifyBounce(file.raw);
	if (keptOut(result)) tally.notBounceOut++;
	else note(file.name, `want not-bounce, got ${result.type}`);
}

// Speed: the whole folder from memory, again and again, for at least two seconds.
const all = [...files, ...others].map((file) => file.raw);
let classified = 0;
const cpuStarted = process.cpuUsage();
const started = process.hrtime.bigint();
let elapsed = 0;
while (elapsed < 2) {
	for (const raw of all) classifyBounce(raw);
	classified += all.length;
	elapsed = Number(process.hrtime.bigint() - started) / 1e9;
}
const cpu = process.cpuUsage(cpuStarted);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;

if (details) {
	for (const [family, lines] of [...mismatches.entries()].sort()) {
		process.stdout.write(`## ${family}\n${lines.map((line) => `  ${line}`).join('\n')}\n`);
	}
}
process.stdout.write(
	`${JSON.stringify({
		messages: files.length + others.length,
		bounces: tally.bounces,
		bouncesRecognised: tally.recognised,
		bouncesRecognisedRate: ratio(tally.recognised, tally.bounces),
		delayNotices: tally.delayNotices,
		bouncesRecognisedRateExcludingDelays: ratio(tally.recognised, tally.bounces - tally.delayNotices),
		hardAgreement: ratio(tally.hardAgree, tally.recognised),
		falseHard: tally.falseHard,
		falseHardRate: ratio(tally.falseHard, tally.recognised),
		kindAgreement: ratio(tally.kindAgree, tally.recognised),
		reasonAgreement: ratio(tally.reasonAgree, tally.recognised),
		complaints: tally.complaints,
		complaintsRecognisedRate: ratio(tally.complaintsOk, tally.complaints),
		complaintsWithAddressRate: ratio(tally.complaintsWithAddress, tally.complaints),
		autoReplies: tally.auto,
		autoRepliesKeptOutRate: ratio(tally.autoOut, tally.auto),
		successDsns: tally.success,
		successKeptOutRate: ratio(tally.successOut, tally.success),
		notBounces: tally.notBounce,
		notBounceKeptOutRate: ratio(tally.notBounceOut, tally.notBounce),
		messagesPerSec: Math.round(classified / elapsed),
		messagesPerCpuSec: Math.round(classified / cpuSeconds),
	})}\n`,
);
