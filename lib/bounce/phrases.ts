/**
 * What receiving servers and MTAs write for each failure reason (lower-case text; `.*?` joins
 * words that come apart). Built from the phrases bounce analysers such as Sisimai document and
 * the wording of the common MTAs; matched against the diagnostic of one recipient only.
 */
import type { FailureReason } from './types';

type PhraseList = Array<string | RegExp>;

const PHRASES: Partial<Record<FailureReason, PhraseList>> = {
	userunknown: [
		'address does not exist', 'address not present in directory', 'address unknown', "can't accept user",
		'destination addresses were unknown', 'destination server rejected recipients', 'email address could not be found',
		'invalid address', 'invalid mailbox', 'invalid recipient', 'is not a known user', 'is not a valid mailbox',
		'is not an active address at this host', 'mailbox does not exist', 'mailbox invalid', 'mailbox is inactive',
		'mailbox not present', 'mailbox not found', 'mailbox unavailable', 'no account by that name', 'no mailbox by that name',
		'no mailbox found', 'no such address', 'no such mailbox', 'no such person', 'no such recipient', 'no such user',
		'no valid recipients', 'not a valid recipient', 'not a valid user', 'not a local address', 'recipient does not exist',
		'recipient is not local', 'recipient not exist', 'recipient not found', 'recipient unknown', 'recipient not ok',
		'requested action not taken: mailbox unavailable', 'recipient notfound', 'user unknown', 'unknown user', 'unknown recipient',
		'unknown mailbox', 'unknown address', 'user does not exist', 'user not exist', 'user not found', 'user not known',
		'user missing home directory', "the email account that you tried to reach does not exist", 'there is no one at this address',
		'this email address is wrong or no longer valid', 'badrcptto', 'not in my validrcptto', 'recipient rejected: unknown',
		'address rejected: undeliverable address', 'utilisateur inconnu', 'nessun utente', 'no existe', 'unbekannte', 'existiert nicht',
		'adresse d au moins un destinataire invalide', 'the recipient name is not recognized', 'unknown or illegal alias',
		'not our customer', 'no mailbox here by that name', 'mailbox unavaiable', 'invalid or unknown virtual user',
		'the following recipients was undeliverable', 'no mail box available for this user', "this user doesn't have a",
		'address is not recognized', 'does not have an account here', 'addressee unknown', 'this account does not exist',
		/\buser\b.{0,40}\b(?:does not exist|doesn't exist|was not found|not found|unknown)/,
		/\bmailbox\b.{0,40}\b(?:does not exist|doesn't exist|not exist)/, /recipient .{0,80} was not found in/,
		/\bnon-?existent (?:user|address|mailbox|recipient)/, /\bunknown (?:e-?mail|local[- ]?part)/,
		/\baccount .{0,60}does not exist/, /<[^>]*> ?(?:is )?not found/, /\bno such (?:local )?user\b/,
		/address .{0,40} (?:does not exist|doesn't exist|is invalid)/, /\brcpt .{0,80} does not exist/,
		/recipient address rejected\.(?:\s|$)/, 'recipient address rejected: access denied',
	],
	mailboxfull: [
		'exceeded storage allocation', 'full mailbox', 'mailbox exceeds allowed size',
		'mailbox size limit exceeded', 'mailbox would exceed maximum', 'mailfolder is full', 'no space left on device',
		'not sufficient disk space (quota', 'quota violation', 'too much mail data', 'exceeded quota', 'over quota', 'overquota',
		'too many messages on the server', "user's space has been used up", 'boite du destinataire pleine', 'mailbox is full',
		'mailbox full', 'inbox is full', 'account is full', 'storage quota', 'quota exceeded', 'exceeds quota',
		/\bmailbox\b.{0,30}\b(?:full|quota|exceeded)/, /\bquota\b.{0,30}\b(?:exceed|full|reached)/, /\bdisk\b.{0,20}quota/,
		/\benough\b.{0,20}\bspace\b/, /\baccount is .{0,20}quota/, /maildir .{0,20}quota/,
	],
	mesgtoobig: [
		'message too big', 'message too large', 'message is too large', 'message size exceeds',
		'size limit', 'message exceeded', 'exceeds the maximum message size', 'exceeded maximum message size',
		'exceeds fixed maximum message size', 'message file too big', 'is larger than the maximum', 'email is too large',
		'mail size exceeded', 'message body too large', 'maximum allowed message size', 'size exceeds',
		/\bmessage\b.{0,30}\btoo big\b/, /\bexceeds .{0,30}message size/, /\bmessage size .{0,40}exceed/,
	],
	exceedlimit: ['message length exceeds administrative limit', 'exceeded the limit on message size for the mailbox'],
	suspend: [
		'is currently suspended', 'temporary locked', 'archived recipient', 'boite du destinataire archivee',
		'is disabled', 'has been suspended', 'inactive account', 'invalid/inactive user', 'is a deactivated mailbox',
		'user is terminated', 'mailbox currently suspended', 'mailbox disabled', 'mailbox is frozen', 'account disabled',
		'account has been disabled', 'recipient rejected: temporarily inactive', 'recipient suspend the service',
		'that you tried to reach is inactive', 'has been disabled or discontinued', 'account is locked',
		'user or domain is disabled', 'user suspended', 'account is inactive', 'account inactive', 'account suspended',
		'mailbox is disabled', 'account expired', 'no longer active',
	],
	hasmoved: [' has been replaced by ', 'mailbox has moved', 'address has moved'],
	norelaying: [
		'as a relay', 'insecure mail relay', 'is not permitted to relay', 'requires authentication when attempting to send to a non-local',
		'no relaying', 'not a gateway', 'not allowed to relay', 'not an open relay', 'not local host', 'relay access denied',
		'relay denied', 'relay not permitted', 'relaying denied', 'relaying mail to ', 'relaying not allowed', 'relay prohibited',
		'specified domain is not allowed', "isn't in my list of allowed rcpthost", 'not configured to relay', 'unable to relay',
		"we don't handle mail for", 'relaying to ', 'open relay',
	],
	authfailure: [
		'spf.pobox.com', 'bad spf records', 'dmarc policy', 'required authentication level', 'spf settings',
		'sender policy framework', 'spf check: fail', 'spf fail', 'spf validation', 'spf record', 'dkim', 'dmarc',
		"doesn't meet the authentication requirements", 'failed the spf', 'not authorized to send on behalf',
		/is not allowed to send (?:mail )?from .{0,60} per it'?s spf/, /\bspf\b.{0,30}\b(?:fail|softfail|error|reject)/,
		'authentication checks failed', 'unauthenticated email', 'does not have authentication information',
		'fails to pass authentication',
	],
	requireptr: [
		'ip name lookup failed', 'must have a ptr record', 'bad dns ptr', 'cannot find your hostname', 'cannot resolve your address',
		'fix reverse dns', 'missing ptr record', 'no ptr record', 'reverse dns name', 'ptr record setup', 'reverse dns failed',
		'reverse dns required', 'reverse lookup rejected', 'does not have a ptr record', 'forward dns entry does not point',
		'no reverse dns', 'unresolvable relay host name', 'generic dns ptr', 'reverse dns', 'rdns', 'ptr record',
		'reverse hostname', 'client host rejected: cannot find', /domain .{0,60} mismatches client ip/,
		/reverse dns lookup for host .{0,60} failed/, 'does not resolve', 'unverifiable sending ip', 'unverifyable sending ip',
	],
	notcompliantrfc: [
		'this message is not rfc 5322 compliant', 'not rfc 5322 compliant', 'not compliant with rfc', 'rfc 5322 compliant',
		'multiple addresses in from', 'duplicate from header', 'messages with multiple addresses', 'not rfc compliant',
	],
	badreputation: [
		'poor email reputation', 'rate limited due to ip reputation', 'reputation problems', 'very low reputation',
		'bad reputation', "sending mta's poor reputation", 'low reputation', 'ip reputation', 'sender reputation',
	],
	contenterror: [
		'duplicate header', 'header size exceeds', 'improper use of 8-bit data', 'header size, or recipient list, exceeds',
		'mime complexity exceeds', 'too many received: headers', 'invalid mime headers', 'improperly-formatted binary content',
		'unnecessary base64 encoding', 'message content is not', 'header line too long', 'malformed mime',
	],
	rejected: [
		'access denied (in reply to mail from', 'sender blacklisted', 'administrative prohibition', 'batv failed', 'batv validation failure',
		'backscatter protection', "isn't on the recipient's list of senders", 'bogus mail from', "can't determine purported responsible address",
		'without a valid sender domain', 'bouncedeny', 'valid-address-filter', 'domain of sender address', 'senderfilterconfig list',
		'emetteur invalide', 'empty envelope senders not allowed', 'envelope blocked', 'no third-party dsns', 'from: domain is invalid',
		'fully qualified email address required', 'invalid sender', 'sender address rejected', 'sender rejected', 'sender was rejected',
		'sender is in my black list', 'sender is spammer', 'sender not pre-approved', 'sender domain is empty', 'sender verify failed',
		'mail from not owned by user', 'email address is not verified', 'null sender is not allowed', 'returned mail not accepted here',
		'rule imposed mailbox access for', 'sender address has been blacklisted', 'sender email address rejected',
		'spam reporting address', 'empty email address', 'this server does not accept mail from', 'unroutable sender address',
		'not allowed to post to this mailing list', 'recipient addresses rejected : access denied', 'is not a registered gateway user', 'sending to/from an address that has been blacklisted', 'your email address has been blacklisted', 'sender address is blacklisted',
		'unknown sender', 'sender unknown', 'sender domain must exist', 'sender address domain', 'domain of sender',
		'no permission to post', 'not have permission to post', 'do not have permission to post', 'senders not allowed',
		'unverified sender', 'sender verification failed', 'sender denied', 'sender address invalid',
		'envelope sender', 'sender not allowed', 'from address rejected',
	],
	hostunknown: [
		'domain does not exist', 'domain is not reachable', 'domain must exist', 'host or domain name not found', 'host unknown',
		'host unreachable', 'domain mentioned in email address is unknown', 'name or service not known', 'no such domain',
		'unknown domain', 'recipient domain must exist', 'the account or domain may not exist', 'unknown host',
		'unroutable address', 'unrouteable address', 'domain not found', 'domain name not found', 'no mx', 'nxdomain',
		'domain not exist', 'host not found', /\bhost [a-z0-9.-]+ not found\b/, 'bad destination system address', 'domain is invalid', /\b553 .{0,60} does not exist/,
	],
	spamdetected: [
		' - spam', 'help_spam_16', 'appears to be unsolicited', 'blacklisted url', 'block for spam', 'no spam please',
		'blocked by spamassassin', 'detected as spam', 'unsolicited bulk e-mail', 'content filter rejection', 'identified this email as a bulk',
		'denied due to spam list', 'probability of spam', 'classified as spam', 'mail content denied', 'may consider spam',
		'considered as spam', 'contains spam', 'message content rejected', 'message looks like spam', 'seems to be a spam',
		'spamprofiler', 'rejected as spam', 'unacceptable content', 'suspected spam', 'possible spam', 'thinks this email is spam',
		'probable spam', 'bulk.advertising', 'spamassassin score', 'bulk email', 'banned content', 'mail content',
		'spam-like', 'spam blocked', 'spam check', 'spam content', 'spam detected', 'spam email', 'spam message', 'spam not accepted',
		'spam refused', 'spam rejection', 'spam score', 'identified spam', 'spamming not allowed', 'too much spam',
		'rejected by spam filter', 'looked like spam', 'appears to be spam', 'identified as spam', 'scored as spam', 'pattern detection',
		'spam message not queued', 'dont accept spam', 'similar to spam', 'uribl', 'considered spam', 'probably spam', 'triggered a spam',
		'spam contents', 'antispam checks', /mail rejete\. mail rejected\..{0,40}506/, 'anti-spam', 'is spam', 'as spam', 'spam filter', /\bspam\b.{0,40}\bexceeded\b/,
		/mail score \(.{0,20} over /, /this message scored .{0,20} spam points/, /rejected due to spam/, /\bspam\b/,
	],
	speeding: [
		'max emails per hour', 'try again slower', 'rate that prevents additional messages', 'throttling failure',
		'rate limited', 'rate limit exceeded', 'sending rate', 'too many messages', 'too fast', 'throttled', 'rate-limited',
		'sending too much', 'too many emails', 'receiving mail at a rate',
		/too many recipients (?:this|per|in the last|in an?) (?:hour|day|minute)/,
	],
	toomanyconn: [
		'too many connections', 'too many concurrent', 'connection limit', 'too many sessions', 'trop de connexions', 'connection frequency limited',
		'too many errors from your ip', 'too many recipients', 'too many smtp sessions', 'too many simultaneous',
		/\btoo many con\w*s\b/, 'connection rate limit', 'max connections',
	],
	blocked: [
		' said: 550 blocked', 'spamcop.net', 'bad sender ip', 'banned sending ip', 'blacklisted by', 'blocked using ', 'blocked - see http',
		'dnsbl', 'client host rejected', 'confirm this mail server', 'connection dropped', 'connection refused by',
		'connections not accepted from ip', 'currently sending spam see', 'dynamic/zombied/spam ips', 'no valid recipients from ',
		'not accepting connections', 'bad ip profile', 'go away', 'helo command rejected', 'host network not allowed', 'dynamic ip',
		'invalid ip for sending mail', 'in a black list', 'is not allowed to send mail from', 'listed in spamhaus', 'spamhaus',
		'no access from mail server', 'not currently accepting mail from your ip', 'connection reset by peer', 'my name was rejected', 'on our block list', 'smtp server of your isp',
		'refused - see http', 'multi-blacklist', 'sending mta or the sender has not passed validation', 'open proxy',
		'sender ip address rejected', 'access forbidden by your ip', 'service not available, closing transmission channel',
		'after initial connection', "remotehost looks suspiciously like spammer", 'unexpected volume or user complaints',
		'too many spams from your ip', 'unwanted messages have been sent from the following ip', 'was blocked by ', 'blocked by ',
		'not allowed to connect', 'you are sending spam', 'listed in the rbl', 'temporary blacklisted', 'requires confirmation',
		'your ip', 'ip blocked', 'blacklisted', 'blocklisted', 'block list', 'blocklist', 'blacklist', /\brbl\b/,
		'not accepted from', 'poor reputation', 'refused to talk to me', 'ip has been blocked', 'ip is blocked',
		'ip address is blocked', 'has been blocked by', 'rejected by recipient domain',
		/access from ip address .{0,40} blocked/, /(?:host|mail server at|server ip) .{0,60} (?:blocked|listed as abusive)/,
		/mail from .{0,60} refused/, /the (?:domain|email|ip) .{0,60} is blacklisted/, 'sender ip',
	],
	virusdetected: [
		'virus', 'malware', 'infected', 'executable files are not allowed', 'banned attachment', 'trojan', 'worm detected',
		'harmful attachment', 'contains a malicious',
	],
	policyviolation: [
		'illegal attachment', 'recipient is not accepting mail with', 'members-only list', 'closed mailing list', 'denied by policy',
		'not accepted for policy reasons', 'rejected due to security policies', 'header are not accepted', 'header error',
		'policy violation', 'organizational settings', 'message given low priority', 'rejected due to local policy',
		'messages with multiple addresses', 'rejected for policy reasons', 'protocol violation', 'is not subscribed to this group',
		'rejected by organization policy', 'content presents a potential', 'images or other attachments', 'mass mailer',
		'policy reasons', 'violates our policy', 'violation of policy', 'policy rejection', 'local policy', 'blocked by policy',
		'rejected by policy', 'due to policy', 'policy restrictions', 'content policy', 'attachment type', 'file type',
		'without solving a captcha',
	],
	systemerror: [
		'forwarding loop', "can't create user output file", 'could not load drd', 'internal error', 'internal server error',
		'interrupted system call', 'encountered an error while being processed', 'create a mail loop', 'configuration error',
		'local error in processing', 'loop was found', 'loops back to myself', 'queue file write error', 'there is no mdb',
		'remote server is misconfigured', 'service currently unavailable', 'system config error', 'temporary local problem',
		'timeout waiting for input', 'transaction failed', 'mail loop', 'system error', 'server error', 'error in processing',
		'temporary failure', 'temporarily unavailable', 'try again later', 'local problem', 'server busy', 'resources temporarily',
		/unable to connect .{0,40}daemon/,
	],
	networkerror: [
		'could not connect and send', 'dns records for the destination computer could not be found', 'hop count exceeded',
		'host is unreachable', 'host name lookup failure', 'host not found, try again', 'malformed name server reply',
		'malformed or unexpected name server reply', 'maximum forwarding loop', 'message looping', 'routing loop', 'no route to host',
		'too many hops', 'unable to resolve route', 'unrouteable mail domain', 'name server timeout', 'dns error', 'network error', 'network is unreachable', 'connection reset', 'lost connection', 'broken pipe',
		'tls negotiation failed', 'ssl handshake', 'tls handshake', 'dns query failed', 'network error',
		"wasn't able to establish an smtp connection", 'unable to establish an smtp connection',
	],
	systemfull: ['insufficient disk space', 'mail system full', 'system full', 'insufficient system storage', 'requested mail action aborted: exceeded storage'],
	notaccept: [
		'does not accept mail', 'mail receiving disabled', 'name server: .: host not found', 'no mx record found for domain=',
		'no route for current request', 'smtp protocol returned a permanent error', 'null mx', 'nullmx', 'accepts no mail',
		'not accepting mail', 'does not receive mail',
	],
	expired: [
		'connection timed out', 'could not find a gateway', 'delivery attempts will continue', 'delivery expired', 'delivery time expired',
		'failed to deliver to domain ', 'giving up on', 'have been failing for a long time', 'has been delayed',
		'not been collected after', 'expired after sitting in queue', 'message expired', 'message timed out',
		'retry time not reached', 'server did not respond', 'in the queue too long', 'after multiple retries',
		'not reachable within the allowed queue period', 'could not be delivered for more than', 'retry timeout exceeded',
		'timed out', 'queue too long', 'too long in queue', 'retry period', 'deliver within', 'maximum time', 'expired',
		'could not deliver for', 'timeout', /could not be delivered for .{0,20} days/, /(?:were|was) not delivered within/,
		'unable to deliver', 'too long', 'delay', 'retrying', 'retry',
	],
	securityerror: [
		'account not subscribed to ses', 'authentication credentials invalid', 'authentication failure', 'authentication required',
		'authentication turned on', 'insecure mail relay', 'recipient address rejected: access denied',
		"you don't authenticate", 'unauthenticated senders not allowed', 'verification failure', 'not authorized to send mail',
		'authentication is required', 'authentication failed', 'authentification', 'is a dead domain',
		'is not authorized to perform ses:', 'tls required', 'encryption required', 'must issue a starttls',
		'must use tls', 'starttls',
	],
	mailererror: [
		'x-unix', 'mailer error', 'command output', 'exit code', 'exit status', 'pipe to |', 'procmail', 'command died',
		'command failed', 'delivery to a command', 'local delivery failed', 'unknown mailer error', 'permission denied',
	],
	filtered: [
		'account is protected by', 'bounced address', 'has restricted sms e-mail', 'is not accepting any mail',
		'message filtered', 'rejected due to user rules', 'not found recipient account', 'refuse to receive mail',
		'only accepting mail from specific email addresses', 'refused due to recipient preferences', 'user refuses to receive',
		'user reject', 'you have been blocked by the recipient', 'recipient has blocked', 'blocked by the recipient',
		'refused by recipient', 'recipient rejected your message', 'recipient refuses',
		'refuses to accept your mail', 'refused by the user',
	],
	syntaxerror: ['syntax error', 'command unrecognized', 'unrecognized command', 'bad sequence of commands', 'command not recognized'],
	onhold: [],
};

function compile(list: PhraseList): RegExp | null {
	if (list.length === 0) return null;
	const sources = list.map((item) => (typeof item === 'string' ? item.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : item.source));
	return new RegExp(sources.join('|'));
}

const COMPILED = new Map<FailureReason, RegExp | null>();
for (const [reason, list] of Object.entries(PHRASES) as Array<[FailureReason, PhraseList]>) COMPILED.set(reason, compile(list));

// The rules ask about the same diagnostic several times (one recipient at a time): remember the
// answers for the last text only.
let answersFor: string | null = null;
const answers = new Map<FailureReason, boolean>();

/** Does the (lower-cased) diagnostic read like this reason? */
export function mentions(reason: FailureReason, lowerText: string): boolean {
	if (!lowerText) return false;
	if (lowerText !== answersFor) {
		answersFor = lowerText;
		answers.clear();
	}
	let answer = answers.get(reason);
	if (answer === undefined) {
		answer = COMPILED.get(reason)?.test(lowerText) ?? false;
		answers.set(reason, answer);
	}
	return answer;
}
