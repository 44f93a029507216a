/** The report's words in English and Japanese. One table, so both languages always have every label. */
export type ReportLanguage = 'en' | 'ja';

export interface ReportLabels {
	title: string;
	generatedAt: string;
	period: string;
	headline: string;
	recipients: string;
	sent: string;
	delivered: string;
	failed: string;
	bounced: string;
	complaints: string;
	unsubscribes: string;
	openRate: string;
	clickRate: string;
	clickToOpenRate: string;
	opens: string;
	clicks: string;
	bounces: string;
	unique: string;
	total: string;
	human: string;
	machine: string;
	unknown: string;
	engagement: string;
	engagementOpensClicks: string;
	engagementBouncesUnsubs: string;
	bucketHour: string;
	bucketDay: string;
	timeZone: string;
	noEvents: string;
	links: string;
	link: string;
	uniqueClicks: string;
	totalClicks: string;
	domains: string;
	domain: string;
	opened: string;
	clicked: string;
	/** `count` decides the plural; `shown` is the count formatted for the language. */
	otherDomains: (count: number, shown: string) => string;
	otherLinks: (count: number, shown: string) => string;
	bounceReasons: string;
	bouncesByKind: string;
	share: string;
	reason: string;
	kind: string;
	kinds: Record<'hard' | 'soft' | 'sender', string>;
	reasonSourceClassifier: string;
	reasonSourceStatusClass: string;
	machineNote: string;
	none: string;
}

const EN: ReportLabels = {
	title: 'Campaign report',
	generatedAt: 'Generated',
	period: 'Sending period',
	headline: 'Summary',
	recipients: 'Recipients',
	sent: 'Sent',
	delivered: 'Delivered',
	failed: 'Failed',
	bounced: 'Bounced',
	complaints: 'Complaints',
	unsubscribes: 'Unsubscribes',
	openRate: 'Open rate',
	clickRate: 'Click rate',
	clickToOpenRate: 'Click-to-open rate',
	opens: 'Opens',
	clicks: 'Clicks',
	bounces: 'Bounces',
	unique: 'Unique',
	total: 'Total',
	human: 'Human',
	machine: 'Machine',
	unknown: 'Unknown',
	engagement: 'Engagement over time',
	engagementOpensClicks: 'Opens and clicks',
	engagementBouncesUnsubs: 'Bounces and unsubscribes',
	bucketHour: 'per hour',
	bucketDay: 'per day',
	timeZone: 'Time zone',
	noEvents: 'No events recorded yet.',
	links: 'Clicks per link',
	link: 'Link',
	uniqueClicks: 'Unique clicks',
	totalClicks: 'Total clicks',
	domains: 'Receiving domains',
	domain: 'Domain',
	opened: 'Opened',
	clicked: 'Clicked',
	otherDomains: (count, shown) => `${shown} more domain${count === 1 ? '' : 's'} not shown.`,
	otherLinks: (count, shown) => `${shown} more link${count === 1 ? '' : 's'} with fewer clicks not shown.`,
	bounceReasons: 'Bounce reasons',
	bouncesByKind: 'Bounces by kind',
	share: 'Share',
	reason: 'Reason',
	kind: 'Kind',
	kinds: { hard: 'Hard', soft: 'Soft', sender: 'Sender side' },
	reasonSourceClassifier: 'Reasons from the bounce classifier (Sisimai names).',
	reasonSourceStatusClass: 'Reasons from the SMTP status class only (4xx / 5xx).',
	machineNote:
		'Rates count people only: machine hits (scanners, link checkers, provider-flagged bots) are left out; opens through Apple Mail Privacy Protection are “unknown” and included in opens.',
	none: '—',
};

const JA: ReportLabels = {
	title: 'キャンペーン効果測定レポート',
	generatedAt: '作成日時',
	period: '配信期間',
	headline: '概要',
	recipients: '配信対象',
	sent: '送信数',
	delivered: '到達数',
	failed: '送信失敗',
	bounced: 'バウンス',
	complaints: '迷惑メール報告',
	unsubscribes: '配信停止',
	openRate: '開封率',
	clickRate: 'クリック率',
	clickToOpenRate: '開封後クリック率',
	opens: '開封',
	clicks: 'クリック',
	bounces: 'バウンス',
	unique: 'ユニーク',
	total: '合計',
	human: '人',
	machine: '機械',
	unknown: '不明',
	engagement: '反応の推移',
	engagementOpensClicks: '開封とクリック',
	engagementBouncesUnsubs: 'バウンスと配信停止',
	bucketHour: '1時間ごと',
	bucketDay: '1日ごと',
	timeZone: 'タイムゾーン',
	noEvents: 'まだイベントは記録されていません。',
	links: 'リンク別クリック数',
	link: 'リンク',
	uniqueClicks: 'ユニーククリック',
	totalClicks: '総クリック',
	domains: '受信ドメイン',
	domain: 'ドメイン',
	opened: '開封',
	clicked: 'クリック',
	otherDomains: (_count, shown) => `ほか ${shown} ドメインは省略しています。`,
	otherLinks: (_count, shown) => `クリックの少ないリンク ${shown} 件は省略しています。`,
	bounceReasons: 'バウンス理由',
	bouncesByKind: 'バウンス種別',
	share: '割合',
	reason: '理由',
	kind: '種別',
	kinds: { hard: 'ハード', soft: 'ソフト', sender: '送信側' },
	reasonSourceClassifier: '理由はバウンス分類器による判定です（Sisimai の名称）。',
	reasonSourceStatusClass: '理由は SMTP ステータスの区分（4xx / 5xx）のみです。',
	machineNote:
		'率は人の反応だけで計算しています。機械による開封・クリック（スキャナー、リンク検査、配信サービスが自動と判定したもの）は除外し、Apple のメールプライバシー保護を経由した開封は「不明」として開封に含めます。',
	none: '—',
};

export function labelsFor(language: ReportLanguage): ReportLabels {
	if (language === 'en') return EN;
	if (language === 'ja') return JA;
	throw new Error(`Unknown report language "${String(language)}": use "en" or "ja".`);
}
