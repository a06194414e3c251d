// Independent SCIM 2.0 peer server for testing scim-harness against: SCIMMY (schemas, filters,
// PATCH, list responses) behind the scimmy-routers express middleware, with in-memory storage.
// Usage: node server.js PORT TOKEN   (or PORT / SCIMMY_PEER_TOKEN in the environment)
// Serves http://127.0.0.1:PORT/scim/v2; every request needs "Authorization: Bearer TOKEN".
import {randomUUID, timingSafeEqual} from "node:crypto";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
const token = process.argv[3] ?? process.env.SCIMMY_PEER_TOKEN;
const basePath = "/scim/v2";
if (!Number.isInteger(port) || port < 0 || port > 65535 || !token) {
    console.error("usage: node server.js PORT TOKEN");
    process.exit(2);
}

const users = new Map();
const groups = new Map();
const clone = (value) => JSON.parse(JSON.stringify(value));
const notFound = (id) => new SCIMMY.Types.Error(404, null, `Resource ${id} not found`);

// The groups a user belongs to (User.groups is read-only, so it is derived, never stored).
const withGroups = (user) => {
    const memberOf = [...groups.values()].filter((g) => (g.members ?? []).some((m) => m.value === user.id));
    return {...clone(user), ...(memberOf.length ? {groups: memberOf.map((g) => ({value: g.id, display: g.displayName, type: "direct"}))} : {})};
};
// SCIMMY's Filter.match throws when a sub-attribute filter (name.givenName pr, emails[...]) meets
// a resource lacking the parent attribute, so match one resource at a time; a throw is a non-match.
const matches = (filter, resource) => { try { return filter.match([resource]).length > 0; } catch { return false; } };

// Ingress, egress and degress handlers over one in-memory map. `unique` names an attribute whose
// value must be unique (compared case-insensitively, as userName is caseExact=false).
function handlers(resourceType, map, {unique, view = clone, onDelete = () => {}} = {}) {
    return {
        ingress: async (resource, instance) => {
            const existing = resource.id === undefined ? undefined : map.get(resource.id);
            if (resource.id !== undefined && !existing) throw notFound(resource.id);
            // The inbound instance has read-only attributes (id, meta, groups) stripped already.
            const {schemas, meta, ...attributes} = clone(instance);
            const key = unique && String(attributes[unique] ?? "").toLowerCase();
            for (const other of (unique ? map.values() : [])) {
                if (other.id !== resource.id && String(other[unique]).toLowerCase() === key)
                    throw new SCIMMY.Types.Error(409, "uniqueness", `${unique} '${attributes[unique]}' is already taken`);
            }
            const now = new Date().toISOString();
            const id = existing?.id ?? randomUUID();
            const record = {...attributes, id, meta: {resourceType, created: existing?.meta.created ?? now, lastModified: now}};
            map.set(id, record);
            return view(record);
        },
        egress: async (resource) => {
            if (resource.id !== undefined) {
                if (!map.has(resource.id)) throw notFound(resource.id);
                return view(map.get(resource.id));
            }
            // SCIMMY pages the list itself (count defaults to 20) but never enforces filter.maxResults.
            const {maxResults} = SCIMMY.Config.get().filter;
            if (resource.constraints?.count > maxResults) resource.constraints.count = maxResults;
            const all = [...map.values()].map(view);
            // SCIMMY parsed ?filter= into resource.filter; let it do the matching.
            return resource.filter ? all.filter((r) => matches(resource.filter, r)) : all;
        },
        degress: async (resource) => {
            if (!map.delete(resource.id)) throw notFound(resource.id);
            onDelete(resource.id);
        },
    };
}

SCIMMY.Resources.declare(SCIMMY.Resources.User, {
    ...handlers("User", users, {unique: "userName", view: withGroups,
        onDelete: (id) => groups.forEach((g) => { if (g.members) g.members = g.members.filter((m) => m.value !== id); })}),
    extensions: [{schema: SCIMMY.Schemas.EnterpriseUser, required: false}],
});
SCIMMY.Resources.declare(SCIMMY.Resources.Group, handlers("Group", groups));

const bearer = /^Bearer +(\S+) *$/i;
const expected = Buffer.from(token);
const scim = new SCIMMYRouters({
    type: "bearer",
    handler: (req) => {
        const given = Buffer.from(bearer.exec(req.header("Authorization") ?? "")?.[1] ?? "");
        if (given.length !== expected.length || !timingSafeEqual(given, expected))
            throw new Error("Missing or invalid bearer token");
        // No user id is returned, so GET /Me answers 501 Not Implemented.
    },
    // Absolute meta.location URIs instead of scimmy-routers' default relative paths.
    baseUri: () => `http://127.0.0.1:${server.address().port}`,
});

// SCIMMYRouters' constructor turns patch, filter, sort and bulk on; state what this peer offers.
SCIMMY.Config.set({
    documentationUri: "https://scimmyjs.github.io",
    patch: true,
    filter: {supported: true, maxResults: 200}, // filter.match; maxResults is enforced above
    sort: true,
    bulk: {supported: false},
    changePassword: false,
    etag: false,
});

const app = express();
app.disable("x-powered-by");
app.set("etag", false); // express's automatic weak ETags would contradict etag.supported=false
app.use(basePath, scim);
// scimmy-routers has already answered 5xx errors when it passes them on; just log them here.
app.use((err, req, res, next) => {
    console.error(`${req.method} ${req.originalUrl}: ${err instanceof SCIMMY.Types.Error ? `${err.status} ${err.message}` : err.stack ?? err}`);
    if (!res.headersSent) res.status(500).json({status: "500", detail: "Internal server error"});
});
const server = app.listen(port, "127.0.0.1", () => {
    console.log(`scimmy peer listening on http://127.0.0.1:${server.address().port}${basePath}`);
});
