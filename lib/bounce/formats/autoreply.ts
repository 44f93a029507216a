/**
 * Automatic replies (RFC 3834 and the common vacation forms). The classifier asks this after the
 * bounce formats, and only of mail that does not look like a bounce: MTAs mark their own bounces
 * `Auto-Submitted: auto-replied` too.
 */
import type { BounceMail } from '../mail';

const VACATION_SUBJECT = new RegExp(
	[
		'^auto(?:matic)?[ _-]?(?:reply|response|respond|answer|antwort|svar|risposta)\\b',
		'^out of (?:the )?office',
		'\\bout of (?:the )?office\\b',
		'^(?:i am |i\'m )?away\\b',
		'^on vacation',
		'\\bvacation\\b',
		'\\bautoreply\\b',
		'\\bauto-reply\\b',
		'^abwesenheit',
		'abwesenheitsnotiz',
		'^absence',
		'^r[ée]ponse automatique',
		'^respuesta autom[áa]tica',
		'^risposta automatica',
		'^automatisch antwoord',
		'^resposta autom[áa]tica',
		'^odpowied[źz] automatyczna',
		'自動応答',
		'自動返信',
		'自動回覆',
		'自动回复',
		'不在',
		'休暇',
		'外出',
	].join('|'),
	'i',
);

export function isAutoReply(mail: BounceMail): boolean {
	const submitted = (mail.headers.get('auto-submitted') ?? '').toLowerCase();
	if (submitted.startsWith('auto-replied')) return true;
	if (mail.headers.has('x-autoreply') || mail.headers.has('x-autorespond') || mail.headers.has('x-autoresponder')) return true;
	if (/^(?:yes|true|1)/i.test(mail.headers.get('x-mail-autoreply') ?? '')) return true;
	if (/auto[_-]?reply/i.test(mail.headers.get('precedence') ?? '')) return true;
	return VACATION_SUBJECT.test(mail.subject);
}

