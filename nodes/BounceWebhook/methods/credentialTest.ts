import type { ICredentialTestFunctions, ICredentialsDecrypted, INodeCredentialTestResult } from 'n8n-workflow';
import { parseSendgridPublicKey } from '../../../lib/events';
import { splitList } from '../providerConfig';

const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$/;
const MIN_SHARED_SECRET = 16;

/** Checks that what is filled in is well-formed; there is no provider to call from here. */
export function checkBounceWebhookSecrets(data: Record<string, unknown>): string | null {
	const text = (name: string) => (typeof data[name] === 'string' ? (data[name] as string).trim() : '');
	const filled = ['genericSecret', 'sendgridPublicKey', 'mailgunSigningKey', 'basicAuthUser', 'basicAuthPassword', 'bearerToken', 'sesTopicArns'].filter(
		(name) => text(name) !== '',
	);
	if (filled.length === 0) return 'Fill in the field(s) of the provider you receive events from';
	const generic = text('genericSecret');
	if (generic && generic.length < MIN_SHARED_SECRET) {
		return `The Generic Signing Secret must be at least ${MIN_SHARED_SECRET} characters long`;
	}
	if (text('sendgridPublicKey')) {
		try {
			parseSendgridPublicKey(text('sendgridPublicKey'));
		} catch (error) {
			return error.message;
		}
	}
	if (Boolean(text('basicAuthUser')) !== Boolean(text('basicAuthPassword'))) {
		return 'Basic auth needs both the user and the password';
	}
	for (const arn of splitList(data.sesTopicArns)) {
		if (!TOPIC_ARN.test(arn)) {
			return `'${arn.slice(0, 80)}' is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)`;
		}
	}
	return null;
}

export async function bounceWebhookCredentialTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const problem = checkBounceWebhookSecrets(credential.data ?? {});
	return problem ? { status: 'Error', message: problem } : { status: 'OK', message: 'The webhook secrets are well-formed' };
}
