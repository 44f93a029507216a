import { mailboxSettingsFrom } from '../../nodes/BounceMailbox/mailboxCredential';

describe('Bounce Mailbox credential → settings', () => {
	it('defaults to TLS on 993 with certificate checks, and the standard folders and limits', () => {
		expect(mailboxSettingsFrom({ host: ' imap.example.com ', user: 'bounces', password: ' pass word ' })).toEqual({
			host: 'imap.example.com',
			port: 993,
			security: 'tls',
			user: 'bounces',
			password: ' pass word ',
			allowSelfSigned: false,
			minTlsVersion: 'TLSv1.2',
			folder: 'INBOX',
			processedFolder: 'Processed',
			unreadableFolder: 'Unreadable',
			maxMessages: 500,
			maxMessageBytes: 2 * 1024 * 1024,
		});
	});

	it('never falls back to plain: anything but STARTTLS is TLS on connect', () => {
		expect(mailboxSettingsFrom({ host: 'h', user: 'u', security: 'starttls' })).toMatchObject({ security: 'starttls', port: 143 });
		expect(mailboxSettingsFrom({ host: 'h', user: 'u', security: 'none' })).toMatchObject({ security: 'tls', port: 993 });
	});

	it('takes the node parameters for folders and limits', () => {
		const settings = mailboxSettingsFrom(
			{ host: 'h', user: 'u', port: 10993, allowSelfSigned: true },
			{ folder: 'Bounces', processedFolder: 'Bounces/Done', unreadableFolder: '', maxMessages: 10, maxMessageSizeKb: 64 },
		);
		expect(settings).toMatchObject({
			port: 10993,
			allowSelfSigned: true,
			folder: 'Bounces',
			processedFolder: 'Bounces/Done',
			unreadableFolder: 'Unreadable',
			maxMessages: 10,
			maxMessageBytes: 64 * 1024,
		});
	});
});
