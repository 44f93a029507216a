/**
 * Lists and campaigns are picked with resource locators: from a searchable list (listSearch in
 * nodes/shared/listSearch.ts), by ID, or (lists) by name. Workflows saved before the pickers
 * existed hold a plain string (a name or an ID); they are read the same way.
 */
import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

type LocatorField = Pick<INodeProperties, 'name' | 'displayName' | 'description' | 'displayOptions'> & {
	required?: boolean;
};

/** A picker: From List (searched by `searchMethod`), By ID, and any further modes. */
function locator(
	field: LocatorField,
	searchMethod: string,
	noun: string,
	idExample: string,
	more: NonNullable<INodeProperties['modes']> = [],
): INodeProperties {
	return {
		required: false,
		...field,
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: `Select a ${noun}…`,
				typeOptions: { searchListMethod: searchMethod, searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: `e.g. ${idExample}`,
				validation: [
					{
						type: 'regex',
						properties: { regex: '^\\s*\\d+\\s*$', errorMessage: `A ${noun} ID is a number, e.g. ${idExample}` },
					},
				],
			},
			...more,
		],
	};
}

/** A list picker: From List (searchable), By ID, By Name. */
export function listLocator(field: LocatorField): INodeProperties {
	return locator(field, 'searchLists', 'list', '3', [
		// a locator mode, not a parameter: modes have no default
		// eslint-disable-next-line n8n-nodes-base/node-param-default-missing
		{ displayName: 'By Name', name: 'name', type: 'string', placeholder: 'e.g. Newsletter' },
	]);
}

/** A campaign picker: From List (searchable), By ID (campaign names need not be unique). */
export function campaignLocator(field: LocatorField): INodeProperties {
	return locator(field, 'searchCampaigns', 'campaign', '12');
}

/** The chosen value of a locator (or of a plain string, as older workflows hold), trimmed. */
export function locatorValue(raw: unknown): string {
	if (raw && typeof raw === 'object' && 'value' in raw) {
		return locatorValue((raw as { value: unknown }).value);
	}
	return raw === undefined || raw === null ? '' : String(raw).trim();
}

/** Reads a locator parameter of one item as a plain reference (a name or an ID). */
export function readLocator(ctx: IExecuteFunctions, name: string, itemIndex: number): string {
	return locatorValue(ctx.getNodeParameter(name, itemIndex, '', { extractValue: true }));
}
