import type { WindowLimits } from './limiterConfig';

/** Provider presets: published starting limits of common SMTP services. */

export type ProviderPresetName =
	'custom' | 'amazon-ses' | 'microsoft-365' | 'google-workspace' | 'sendgrid' | 'mailgun';

export interface ProviderPreset {
	label: string;
	limits: WindowLimits & { perDay?: number };
	/** Suggested pool settings for the SMTP transport. */
	pool?: { maxConnections?: number; maxMessages?: number };
	notes: string;
}

/**
 * Starting points, not guarantees: every provider raises (or lowers) limits per account. Use the
 * numbers your account shows when you have them.
 */
export const PROVIDER_PRESETS: Record<ProviderPresetName, ProviderPreset> = {
	custom: { label: 'Custom', limits: {}, notes: 'Only the limits you set.' },
	// Amazon SES: 14 messages/second is the long-standing default sending rate of a new production
	// (out-of-sandbox) account (the figure listmonk and Sendy users tune for). AWS's quotas page
	// now says out-of-sandbox quotas "vary based on your specific use case"; GetSendQuota returns
	// the account's MaxSendRate and Max24HourSend. Sandbox: 1/s and 200 per 24 hours.
	// Source: docs.aws.amazon.com/ses/latest/dg/quotas.html
	'amazon-ses': {
		label: 'Amazon SES',
		limits: { perSecond: 14 },
		notes:
			"Your account's MaxSendRate and 24-hour quota (SES console, GetSendQuota) override this.",
	},
	// Microsoft 365 / Exchange Online, SMTP AUTH client submission: 30 messages per minute,
	// 10,000 recipients per day, at most 3 concurrent connections per mailbox (more get
	// "432 4.3.2 Concurrent connections limit exceeded").
	// Source: learn.microsoft.com/en-us/exchange/troubleshoot/send-emails/smtp-submission-improvements
	// and the Exchange Online limits service description ("Sending limits").
	'microsoft-365': {
		label: 'Microsoft 365 (Exchange Online)',
		limits: { perMinute: 30, perDay: 10_000, maxConcurrent: 3 },
		pool: { maxConnections: 3 },
		notes: 'Exchange Online is not meant for bulk mail; the day limit counts recipients.',
	},
	// Google Workspace, smtp.gmail.com with a user account: 2,000 messages per day (500 for trial
	// accounts), over a rolling 24 hours; 100 recipients per message over SMTP. The SMTP relay
	// service (smtp-relay.gmail.com) has its own, higher limits (10,000 recipients per user/day).
	// Source: support.google.com/a/answer/166852 ("Gmail sending limits in Google Workspace").
	'google-workspace': {
		label: 'Google Workspace',
		limits: { perDay: 2_000 },
		notes: 'Limits apply per user over a rolling 24 hours; trial accounts: 500 per day.',
	},
	// SendGrid SMTP: up to 5,000 messages per connection and 10,000 concurrent connections; the
	// message volume is set by the plan (the free plan: 100 per day), so no rate here.
	// Source: docs.sendgrid.com/for-developers/sending-email/integrating-with-the-smtp-api
	sendgrid: {
		label: 'SendGrid',
		limits: {},
		pool: { maxMessages: 5_000 },
		notes: "Set your plan's daily volume as the day limit (free plan: 100 per day).",
	},
	// Mailgun publishes no fixed SMTP rate: limits are set per account (new accounts stay in a
	// "probation" state with an hourly message limit until the business is verified).
	// Source: help.mailgun.com ("Account Sending Limitation").
	mailgun: {
		label: 'Mailgun',
		limits: {},
		notes: "Mailgun sets limits per account: enter your account's hourly or daily limit.",
	},
};
