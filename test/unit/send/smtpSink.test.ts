import nodemailer from 'nodemailer';
import { findSmtpSink, startSmtpSink } from '../../helpers/smtpSink';

jest.setTimeout(30_000);

describe('smtp-sink helper (Postfix)', () => {
	it('is installed', () => {
		expect(findSmtpSink()).toMatch(/smtp-sink$/);
	});

	it('starts on a free loopback port, takes mail, counts it and stops', async () => {
		const sink = await startSmtpSink();
		const transport = nodemailer.createTransport({
			pool: true,
			host: sink.host,
			port: sink.port,
			ignoreTLS: true,
			maxConnections: 2,
		});
		try {
			const infos = await Promise.all(
				Array.from({ length: 30 }, (_, i) =>
					transport.sendMail({
						from: 'a@sender.example',
						to: `r${i}@example.org`,
						subject: 's',
						text: 'x',
					}),
				),
			);
			expect(infos.every((info) => /^250 /.test(info.response))).toBe(true);
		} finally {
			transport.close();
		}
		const deadline = Date.now() + 3000;
		while (sink.messageCount() < 30 && Date.now() < deadline)
			await new Promise((r) => setTimeout(r, 50));
		expect(sink.messageCount()).toBe(30);
		await sink.stop();
		expect(() => process.kill(sink.pid, 0)).toThrow();
	});
});
