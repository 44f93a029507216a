// Kept so that package.json "main" resolves; n8n loads the nodes listed under "n8n" in package.json.
module.exports = {};
