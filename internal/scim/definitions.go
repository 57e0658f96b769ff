package scim

// This file holds the attribute definitions of RFC 7643 §8.7.1 (core User and Group) and
// §8.7.2 (EnterpriseUser), and the common attributes of §3.1. Deviations from the JSON in
// §8.7.1, each for a reason given where it is made:
//   - Group displayName is required (§4.2 says "REQUIRED"; the §8.7.1 JSON says false).
//   - addresses has a "primary" sub-attribute (§4.1.2 lists it; the §8.7.1 JSON omits it and
//     Entra ID sends it).
//   - members has a readOnly "display" sub-attribute (the §8.5 examples show it; scimd derives
//     it from the member's displayName).
//   - Binary x509Certificates.value is caseExact (RFC 7643 errata 6000 and 8470).

// attr returns a single-valued, optional, readWrite attribute returned by default, with no
// uniqueness; the chained setters below adjust it.
func attr(name string, typ AttrType, description string) *Attribute {
	return &Attribute{
		Name:        name,
		Type:        typ,
		Description: description,
		Mutability:  ReadWrite,
		Returned:    ReturnedDefault,
		Uniqueness:  UniqueNone,
	}
}

func (a *Attribute) multi() *Attribute        { a.MultiValued = true; return a }
func (a *Attribute) required() *Attribute     { a.Required = true; return a }
func (a *Attribute) exact() *Attribute        { a.CaseExact = true; return a }
func (a *Attribute) mut(m string) *Attribute  { a.Mutability = m; return a }
func (a *Attribute) ret(r string) *Attribute  { a.Returned = r; return a }
func (a *Attribute) uniq(u string) *Attribute { a.Uniqueness = u; return a }
func (a *Attribute) canon(v ...string) *Attribute {
	a.CanonicalValues = v
	return a
}
func (a *Attribute) refs(v ...string) *Attribute { a.ReferenceTypes = v; return a }
func (a *Attribute) subs(v ...*Attribute) *Attribute {
	a.SubAttributes = v
	return a
}

// multiValuedSubs returns the usual value/display/type/primary sub-attributes of a
// multi-valued attribute (RFC 7643 §2.4).
func multiValuedSubs(value *Attribute, typeDescription string, canonical ...string) []*Attribute {
	typ := attr("type", TypeString, typeDescription)
	if len(canonical) > 0 {
		typ.canon(canonical...)
	}
	return []*Attribute{
		value,
		attr("display", TypeString, "A human-readable name, primarily used for display purposes.  READ-ONLY."),
		typ,
		attr("primary", TypeBoolean, "A Boolean value indicating the 'primary' or preferred attribute value for this attribute.  The primary attribute value 'true' MUST appear no more than once."),
	}
}

func userSchema() *Schema {
	return &Schema{
		ID:          SchemaUser,
		Name:        "User",
		Description: "User Account",
		Attributes: []*Attribute{
			attr("userName", TypeString, "Unique identifier for the User, typically used by the user to directly authenticate to the service provider.  Each User MUST include a non-empty userName value.  This identifier MUST be unique across the service provider's entire set of Users.  REQUIRED.").required().uniq(UniqueServer),
			attr("name", TypeComplex, "The components of the user's real name.  Providers MAY return just the full name as a single string in the formatted sub-attribute, or they MAY return just the individual component attributes using the other sub-attributes, or they MAY return both.  If both variants are returned, they SHOULD be describing the same name, with the formatted name indicating how the component attributes should be combined.").subs(
				attr("formatted", TypeString, "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display (e.g., 'Ms. Barbara J Jensen, III')."),
				attr("familyName", TypeString, "The family name of the User, or last name in most Western languages (e.g., 'Jensen' given the full name 'Ms. Barbara J Jensen, III')."),
				attr("givenName", TypeString, "The given name of the User, or first name in most Western languages (e.g., 'Barbara' given the full name 'Ms. Barbara J Jensen, III')."),
				attr("middleName", TypeString, "The middle name(s) of the User (e.g., 'Jane' given the full name 'Ms. Barbara J Jensen, III')."),
				attr("honorificPrefix", TypeString, "The honorific prefix(es) of the User, or title in most Western languages (e.g., 'Ms.' given the full name 'Ms. Barbara J Jensen, III')."),
				attr("honorificSuffix", TypeString, "The honorific suffix(es) of the User, or suffix in most Western languages (e.g., 'III' given the full name 'Ms. Barbara J Jensen, III')."),
			),
			attr("displayName", TypeString, "The name of the User, suitable for display to end-users.  The name SHOULD be the full name of the User being described, if known."),
			attr("nickName", TypeString, "The casual way to address the user in real life, e.g., 'Bob' or 'Bobby' instead of 'Robert'.  This attribute SHOULD NOT be used to represent a User's username (e.g., 'bjensen' or 'mpepperidge')."),
			attr("profileUrl", TypeReference, "A fully qualified URL pointing to a page representing the User's online profile.").refs("external"),
			attr("title", TypeString, "The user's title, such as \"Vice President.\""),
			attr("userType", TypeString, "Used to identify the relationship between the organization and the user.  Typical values used might be 'Contractor', 'Employee', 'Intern', 'Temp', 'External', and 'Unknown', but any value may be used."),
			attr("preferredLanguage", TypeString, "Indicates the User's preferred written or spoken language.  Generally used for selecting a localized user interface; e.g., 'en_US' specifies the language English and country US."),
			attr("locale", TypeString, "Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations."),
			attr("timezone", TypeString, "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'."),
			attr("active", TypeBoolean, "A Boolean value indicating the User's administrative status."),
			attr("password", TypeString, "The User's cleartext password.  This attribute is intended to be used as a means to specify an initial password when creating a new User or to reset an existing User's password.").mut(WriteOnly).ret(ReturnedNever),
			attr("emails", TypeComplex, "Email addresses for the user.  The value SHOULD be canonicalized by the service provider, e.g., 'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'.  Canonical type values of 'work', 'home', and 'other'.").multi().subs(
				multiValuedSubs(
					attr("value", TypeString, "Email addresses for the user.  The value SHOULD be canonicalized by the service provider, e.g., 'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'.  Canonical type values of 'work', 'home', and 'other'."),
					"A label indicating the attribute's function, e.g., 'work' or 'home'.", "work", "home", "other")...,
			),
			attr("phoneNumbers", TypeComplex, "Phone numbers for the User.  The value SHOULD be canonicalized by the service provider according to the format specified in RFC 3966, e.g., 'tel:+1-201-555-0123'.  Canonical type values of 'work', 'home', 'mobile', 'fax', 'pager', and 'other'.").multi().subs(
				multiValuedSubs(
					attr("value", TypeString, "Phone number of the User."),
					"A label indicating the attribute's function, e.g., 'work', 'home', 'mobile'.", "work", "home", "mobile", "fax", "pager", "other")...,
			),
			attr("ims", TypeComplex, "Instant messaging addresses for the User.").multi().subs(
				multiValuedSubs(
					attr("value", TypeString, "Instant messaging address for the User."),
					"A label indicating the attribute's function, e.g., 'aim', 'gtalk', 'xmpp'.", "aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo")...,
			),
			attr("photos", TypeComplex, "URLs of photos of the User.").multi().subs(
				multiValuedSubs(
					attr("value", TypeReference, "URL of a photo of the User.").refs("external"),
					"A label indicating the attribute's function, i.e., 'photo' or 'thumbnail'.", "photo", "thumbnail")...,
			),
			attr("addresses", TypeComplex, "A physical mailing address for this User.  Canonical type values of 'work', 'home', and 'other'.  This attribute is a complex type with the following sub-attributes.").multi().subs(
				attr("formatted", TypeString, "The full mailing address, formatted for display or use with a mailing label.  This attribute MAY contain newlines."),
				attr("streetAddress", TypeString, "The full street address component, which may include house number, street name, P.O. box, and multi-line extended street address information.  This attribute MAY contain newlines."),
				attr("locality", TypeString, "The city or locality component."),
				attr("region", TypeString, "The state or region component."),
				attr("postalCode", TypeString, "The zip code or postal code component."),
				attr("country", TypeString, "The country name component."),
				attr("type", TypeString, "A label indicating the attribute's function, e.g., 'work' or 'home'.").canon("work", "home", "other"),
				attr("primary", TypeBoolean, "A Boolean value indicating the 'primary' or preferred attribute value for this attribute, e.g., the preferred mailing address.  The primary attribute value 'true' MUST appear no more than once."),
			),
			attr("groups", TypeComplex, "A list of groups to which the user belongs, either through direct membership, through nested groups, or dynamically calculated.").multi().mut(ReadOnly).subs(
				attr("value", TypeString, "The identifier of the User's group.").mut(ReadOnly),
				attr("$ref", TypeReference, "The URI of the corresponding 'Group' resource to which the user belongs.").refs("User", "Group").mut(ReadOnly),
				attr("display", TypeString, "A human-readable name, primarily used for display purposes.  READ-ONLY.").mut(ReadOnly),
				attr("type", TypeString, "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.").canon("direct", "indirect").mut(ReadOnly),
			),
			attr("entitlements", TypeComplex, "A list of entitlements for the User that represent a thing the User has.").multi().subs(
				multiValuedSubs(attr("value", TypeString, "The value of an entitlement."), "A label indicating the attribute's function.")...,
			),
			attr("roles", TypeComplex, "A list of roles for the User that collectively represent who the User is, e.g., 'Student', 'Faculty'.").multi().subs(
				multiValuedSubs(attr("value", TypeString, "The value of a role."), "A label indicating the attribute's function.")...,
			),
			attr("x509Certificates", TypeComplex, "A list of certificates issued to the User.").multi().subs(
				multiValuedSubs(attr("value", TypeBinary, "The value of an X.509 certificate.").exact(), "A label indicating the attribute's function.")...,
			),
		},
	}
}

func enterpriseUserSchema() *Schema {
	return &Schema{
		ID:          SchemaEnterpriseUser,
		Name:        "EnterpriseUser",
		Description: "Enterprise User",
		Attributes: []*Attribute{
			attr("employeeNumber", TypeString, "Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization."),
			attr("costCenter", TypeString, "Identifies the name of a cost center."),
			attr("organization", TypeString, "Identifies the name of an organization."),
			attr("division", TypeString, "Identifies the name of a division."),
			attr("department", TypeString, "Identifies the name of a department."),
			attr("manager", TypeComplex, "The User's manager.  A complex type that optionally allows service providers to represent organizational hierarchy by referencing the 'id' attribute of another User.").subs(
				attr("value", TypeString, "The id of the SCIM resource representing the User's manager.  REQUIRED."),
				attr("$ref", TypeReference, "The URI of the SCIM resource representing the User's manager.  REQUIRED.").refs("User"),
				attr("displayName", TypeString, "The displayName of the User's manager.  OPTIONAL and READ-ONLY.").mut(ReadOnly),
			),
		},
	}
}

func groupSchema() *Schema {
	return &Schema{
		ID:          SchemaGroup,
		Name:        "Group",
		Description: "Group",
		Attributes: []*Attribute{
			attr("displayName", TypeString, "A human-readable name for the Group.  REQUIRED.").required(),
			attr("members", TypeComplex, "A list of members of the Group.").multi().subs(
				attr("value", TypeString, "Identifier of the member of this Group.").mut(Immutable),
				attr("$ref", TypeReference, "The URI corresponding to a SCIM resource that is a member of this Group.").refs("User", "Group").mut(Immutable),
				attr("type", TypeString, "A label indicating the type of resource, e.g., 'User' or 'Group'.").canon("User", "Group").mut(Immutable),
				attr("display", TypeString, "A human-readable name, primarily used for display purposes.  READ-ONLY.").mut(ReadOnly),
			),
		},
	}
}

// commonAttributes returns the attributes every resource has (RFC 7643 §3.1). They belong to
// no schema and are not listed in /Schemas.
func commonAttributes() []*Attribute {
	return []*Attribute{
		attr("id", TypeString, "A unique identifier for a SCIM resource as defined by the service provider.").exact().mut(ReadOnly).ret(ReturnedAlways).uniq(UniqueServer),
		attr("externalId", TypeString, "A String that is an identifier for the resource as defined by the provisioning client.").exact(),
		attr("meta", TypeComplex, "A complex attribute containing resource metadata.").mut(ReadOnly).subs(
			attr("resourceType", TypeString, "The name of the resource type of the resource.").exact().mut(ReadOnly),
			attr("created", TypeDateTime, "The \"DateTime\" that the resource was added to the service provider.").mut(ReadOnly),
			attr("lastModified", TypeDateTime, "The most recent DateTime that the details of this resource were updated at the service provider.").mut(ReadOnly),
			attr("location", TypeReference, "The URI of the resource being returned.").refs("uri").exact().mut(ReadOnly),
			attr("version", TypeString, "The version of the resource being returned.").exact().mut(ReadOnly),
		),
	}
}
