/**
 * Bounce intelligence (no n8n imports): the classifier of returned mail, the reason rules shared
 * by every path that learns of a failed delivery, VERP return paths, receiving providers and the
 * sender-health rule of the per-provider pause.
 */
export * from './types';
export { classifyFailure, kindOfReason, isFailureReason } from './reasons';
export { classifyBounce, MAX_RECIPIENTS } from './classify';
export {
	checkBounceDomain,
	parseVerpAddress,
	prepareVerp,
	readVerpAddress,
	VERP_LOCAL_PREFIX,
	verpAddress,
	verpEnvelope,
	verpIdsFor,
	type MacSigner,
	type VerpIds,
	type VerpKey,
	type VerpReading,
	type VerpSettings,
} from './verp';
export {
	describeProvider,
	domainOfAddress,
	providerById,
	receivingProvider,
	type ReceivingProvider,
} from './providers';
export {
	DEFAULT_PROVIDER_PAUSE,
	providerPauseReason,
	shouldPauseProvider,
	validateProviderPause,
	type ProviderPausePolicy,
	type ProviderWindow,
} from './senderHealth';
export { reexamineDiagnostic, type Reexamined } from './reexamine';
