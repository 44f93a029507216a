/** CSV export of subscribers (no n8n imports): exportSubscribersCsv streams a filtered part of the store. */
export * from './csvExport';
