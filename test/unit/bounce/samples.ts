/**
 * Builders for the sample messages of the bounce tests: written for these tests after the shapes
 * real MTAs produce (headers, report parts, wording), not copied from any corpus.
 */

export interface DsnRecipient {
	address: string;
	action?: string;
	status?: string;
	diagnostic?: string;
	extra?: string;
}

export function headers(fields: Record<string, string>): string {
	return Object.entries(fields)
		.map(([name, value]) => `${name}: ${value}`)
		.join('\n');
}

/** A multipart/report DSN with a readable part, the status part and the returned headers. */
export function dsn(options: {
	text: string;
	recipients: DsnRecipient[];
	original?: Record<string, string>;
	top?: Record<string, string>;
	reportingMta?: string;
}): string {
	const boundary = 'SAMPLE-BOUNDARY-1';
	const blocks = options.recipients
		.map((recipient) =>
			[
				`Final-Recipient: rfc822; ${recipient.address}`,
				`Action: ${recipient.action ?? 'failed'}`,
				`Status: ${recipient.status ?? '5.0.0'}`,
				recipient.diagnostic ? `Diagnostic-Code: smtp; ${recipient.diagnostic}` : null,
				recipient.extra ?? null,
			]
				.filter((line) => line !== null)
				.join('\n'),
		)
		.join('\n\n');
	const original = options.original ?? {
		From: 'News <news@sender.example>',
		To: options.recipients[0]?.address ?? 'someone@example.org',
		Subject: 'Our newsletter',
		'Message-ID': '<cmp-1.sub-1@sender.example>',
		'X-Bulk-Mail-Campaign': 'cmp_1',
		'X-Bulk-Mail-Subscriber': 'sub_1',
	};
	return `${headers({
		'Return-Path': '<>',
		'X-Original-To': 'bounces+token@bounce.sender.example',
		From: 'Mail Delivery System <MAILER-DAEMON@mx.sender.example>',
		To: 'bounces+token@bounce.sender.example',
		Subject: 'Undelivered Mail Returned to Sender',
		'Message-ID': '<report-1@mx.sender.example>',
		Date: 'Tue, 3 Nov 2026 10:00:05 +0000',
		'Auto-Submitted': 'auto-replied',
		'MIME-Version': '1.0',
		'Content-Type': `multipart/report; report-type=delivery-status;\n\tboundary="${boundary}"`,
		...options.top,
	})}

This is a MIME-encapsulated message.

--${boundary}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

${options.text}

--${boundary}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; ${options.reportingMta ?? 'mx.sender.example'}
Arrival-Date: Tue, 3 Nov 2026 09:59:58 +0000

${blocks}

--${boundary}
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

${headers(original)}

--${boundary}--
`;
}

/** A plain-text bounce (no report part): the bounce text, then the returned message. */
export function plainBounce(options: { from: string; subject: string; text: string; top?: Record<string, string>; original?: string }): string {
	return `${headers({
		'Return-Path': '<>',
		From: options.from,
		To: 'news@sender.example',
		Subject: options.subject,
		Date: 'Tue, 3 Nov 2026 10:00:05 +0000',
		'Message-ID': '<plain-1@mx.example.net>',
		...options.top,
	})}

${options.text}
${options.original ?? ''}`;
}

export const RETURNED = `Return-Path: <news@sender.example>
Received: from out.sender.example by mx.example.net
From: News <news@sender.example>
To: reader@example.org
Subject: Our newsletter
Message-ID: <cmp-1.sub-1@sender.example>
X-Bulk-Mail-Campaign: cmp_1
X-Bulk-Mail-Subscriber: sub_1

Hello reader.
`;
