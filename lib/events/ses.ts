/**
 * Amazon SES notifications delivered by SNS over HTTPS.
 *
 * Every message is checked before anything in it is believed: the topic must be on the
 * allow-list, the timestamp fresh, and the SNS signature (v1 SHA1withRSA, v2 SHA256withRSA) valid
 * under the certificate found at SigningCertURL, which is only fetched from a genuine
 * `sns.<region>.amazonaws.com` host over HTTPS and then kept in memory.
 */
import {
	EventConfigError,
	fail,
	parseJsonBody,
	runVerifier,
	succeed,
	type SubscriptionHandshake,
	type VerifyResult,
	type WebhookRequest,
} from './common';
import { parseSesNotification } from './sesMapping';
import {
	checkSignature,
	checkTimestamp,
	isGenuineSnsUrl,
	readEnvelope,
	type SesConfig,
	SNS_HOST_PATTERN,
} from './sns';

export {
	confirmSubscription,
	type ConfirmSubscriptionResult,
	DEFAULT_SNS_MAX_AGE_SECONDS,
	fetchSnsCertificate,
	isGenuineSnsUrl,
	SNS_HOST_PATTERN,
	SnsCertificateCache,
	snsStringToSign,
	type SesConfig,
	type SnsTransportOptions,
} from './sns';

export function verifySesRequest(
	request: WebhookRequest,
	config: SesConfig,
): Promise<VerifyResult> {
	const allowed = Array.isArray(config.allowedTopicArns)
		? config.allowedTopicArns
				.filter((arn) => typeof arn === 'string' && arn.trim() !== '')
				.map((arn) => arn.trim())
		: [];
	if (allowed.length === 0) {
		return Promise.reject(
			new EventConfigError('SES webhook needs at least one allowed SNS topic ARN'),
		);
	}
	return runVerifier(request, config, async () => {
		const envelope = readEnvelope(parseJsonBody(request.rawBody), request);
		// Cheap checks first, so unwanted traffic never makes us fetch a certificate.
		if (!allowed.includes(envelope.TopicArn))
			return fail(403, 'SNS topic is not on the allow-list');
		checkTimestamp(envelope, config);
		await checkSignature(envelope, config);

		if (envelope.Type !== 'Notification') {
			const subscribeUrl = envelope.SubscribeURL ?? null;
			if (
				subscribeUrl !== null &&
				!isGenuineSnsUrl(subscribeUrl, config.certHostPattern ?? SNS_HOST_PATTERN)
			) {
				return fail(403, 'SubscribeURL is not an https URL of a genuine SNS host');
			}
			const subscription: SubscriptionHandshake = {
				type: envelope.Type,
				topicArn: envelope.TopicArn,
				messageId: envelope.MessageId,
				token: envelope.Token ?? null,
				subscribeUrl,
			};
			return succeed([], [], { subscription });
		}
		return parseSesNotification(envelope, config);
	});
}
