import { resolveBreakerOptions, type BreakerOptions } from './breaker';
import { resolveLimits, type LimiterConfig } from './limiter';
import { resolveRetryPolicy, type RetryPolicy } from './retry';
import { validateSmtpSettings, type SmtpSettings } from './transport';

/** Everything a send run is configured with, as a caller gathers it before the run. */
export interface SendConfig {
	smtp: SmtpSettings;
	limiter?: LimiterConfig;
	retry?: Partial<RetryPolicy>;
	/** false: no breaker. */
	breaker?: Partial<BreakerOptions> | false;
}

/**
 * Checks a whole send configuration once, before anything is sent or any connection (SMTP,
 * Redis) is made, so a mistake fails the run up front with a message naming the setting.
 * Returns the SMTP warnings (plain SMTP, self-signed certificates allowed).
 */
export function validateSendConfig(config: SendConfig, time = Date.now()): string[] {
	const warnings = validateSmtpSettings(config.smtp);
	if (config.limiter) resolveLimits(config.limiter, time);
	if (config.retry) resolveRetryPolicy(config.retry);
	if (config.breaker) resolveBreakerOptions(config.breaker);
	return warnings;
}
