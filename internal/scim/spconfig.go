package scim

// serviceProviderConfigSchema is the schema of /ServiceProviderConfig: RFC 7643 §5 and the
// §8.7.2 representation, with the "pagination" attribute RFC 9865 §4 adds. /Schemas lists it
// next to the resource schemas so that a client can discover pagination support the RFC 9865
// way. Deviations from the §8.7.2 JSON, each for a reason:
//   - authenticationSchemes has "type" and "primary" sub-attributes: §5 defines both (type is
//     REQUIRED there) but the §8.7.2 JSON leaves them out, and scimd sends both.
//   - pagination.defaultPaginationMethod lists its canonical values "cursor" and "index", the
//     two values RFC 9865 §4 allows.
//
// Every attribute is readOnly (the configuration is the server's) and returned by default.
func serviceProviderConfigSchema() *Schema {
	ro := func(name string, typ AttrType, description string) *Attribute {
		return attr(name, typ, description).mut(ReadOnly)
	}
	supported := func(what string) *Attribute {
		return ro("supported", TypeBoolean, "A Boolean value specifying whether or not "+what+" is supported.").required()
	}
	return &Schema{
		ID:          SchemaServiceConfig,
		Name:        "Service Provider Configuration",
		Description: "Schema for representing the service provider's configuration",
		Attributes: []*Attribute{
			ro("documentationUri", TypeReference, "An HTTP-addressable URL pointing to the service provider's human-consumable help documentation.").
				refs("external"),
			ro("patch", TypeComplex, "A complex type that specifies PATCH configuration options.").required().
				subs(supported("the operation")),
			ro("bulk", TypeComplex, "A complex type that specifies bulk configuration options.").required().subs(
				supported("the operation"),
				ro("maxOperations", TypeInteger, "An integer value specifying the maximum number of operations.").required(),
				ro("maxPayloadSize", TypeInteger, "An integer value specifying the maximum payload size in bytes.").required(),
			),
			ro("filter", TypeComplex, "A complex type that specifies FILTER options.").required().subs(
				supported("the operation"),
				ro("maxResults", TypeInteger, "An integer value specifying the maximum number of resources returned in a response.").required(),
			),
			ro("changePassword", TypeComplex, "A complex type that specifies configuration options related to changing a password.").required().
				subs(supported("the operation")),
			ro("sort", TypeComplex, "A complex type that specifies sort result options.").required().
				subs(supported("sorting")),
			ro("etag", TypeComplex, "A complex type that specifies ETag configuration options.").required().
				subs(supported("the operation")),
			ro("authenticationSchemes", TypeComplex, "A complex type that specifies supported authentication scheme properties.").
				required().multi().subs(
				ro("type", TypeString, "The authentication scheme. RFC 7643 defines the values \"oauth\", \"oauth2\", \"oauthbearertoken\", \"httpbasic\", and \"httpdigest\".").
					required().canon("oauth", "oauth2", "oauthbearertoken", "httpbasic", "httpdigest"),
				ro("name", TypeString, "The common authentication scheme name, e.g., HTTP Basic.").required(),
				ro("description", TypeString, "A description of the authentication scheme.").required(),
				ro("specUri", TypeReference, "An HTTP-addressable URL pointing to the authentication scheme's specification.").refs("external"),
				ro("documentationUri", TypeReference, "An HTTP-addressable URL pointing to the authentication scheme's usage documentation.").refs("external"),
				ro("primary", TypeBoolean, "A Boolean value indicating the 'primary' or preferred authentication scheme."),
			),
			ro("pagination", TypeComplex, "A complex type that indicates pagination configuration options (RFC 9865).").subs(
				ro("cursor", TypeBoolean, "A Boolean value specifying support of cursor-based pagination.").required(),
				ro("index", TypeBoolean, "A Boolean value specifying support of index-based pagination.").required(),
				ro("defaultPaginationMethod", TypeString, "A string value specifying the type of pagination that the service provider "+
					"defaults to when the client has not specified which method it wishes to use.").canon("cursor", "index"),
				ro("defaultPageSize", TypeInteger, "Positive integer value specifying the default number of results returned in a "+
					"page when a count is not specified in the query."),
				ro("maxPageSize", TypeInteger, "Positive integer specifying the maximum number of results returned in a page "+
					"regardless of what is specified for the count in a query."),
				ro("cursorTimeout", TypeInteger, "Positive integer specifying the minimum number of seconds that a cursor is valid "+
					"between page requests. Absent when cursors do not time out."),
			),
		},
	}
}
