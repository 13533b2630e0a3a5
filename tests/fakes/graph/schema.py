"""Property names of the Graph v1.0 types the fake serves, from the v1.0 resource pages
(api-reference/v1.0/resources/user.md, group.md, event.md, message.md).

They decide what $select, $filter and request bodies may name: anything else is refused the way
Graph refuses it, so the tables are the fake's contract with clients.
"""

from __future__ import annotations


def names(text: str) -> frozenset[str]:
    return frozenset(text.split())


USER_DEFAULT = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)
USER_PROPERTIES = frozenset(USER_DEFAULT) | names(
    "aboutMe accountEnabled ageGroup assignedLicenses assignedPlans authorizationInfo "
    "birthday city companyName consentProvidedForMinor country createdDateTime creationType "
    "customSecurityAttributes deletedDateTime department employeeHireDate "
    "employeeLeaveDateTime employeeId employeeOrgData employeeType externalUserState "
    "externalUserStateChangeDateTime faxNumber hireDate identities imAddresses interests "
    "isManagementRestricted isResourceAccount lastPasswordChangeDateTime "
    "legalAgeGroupClassification licenseAssignmentStates mailboxSettings mailNickname mySite "
    "onPremisesDistinguishedName onPremisesDomainName onPremisesExtensionAttributes "
    "onPremisesImmutableId onPremisesLastSyncDateTime onPremisesProvisioningErrors "
    "onPremisesSamAccountName onPremisesSecurityIdentifier onPremisesSyncEnabled "
    "onPremisesUserPrincipalName otherMails passwordPolicies passwordProfile pastProjects "
    "postalCode preferredDataLocation preferredName provisionedPlans proxyAddresses "
    "responsibilities schools securityIdentifier serviceProvisioningErrors showInAddressList "
    "signInActivity signInSessionsValidFromDateTime skills state streetAddress usageLocation "
    "userType"
)
# Filterable as basic queries; anything else needs ConsistencyLevel: eventual and $count=true
# (concepts/aad-advanced-queries.md), as do the operators below.
USER_FILTERABLE = names(
    "accountenabled city companyname country department displayname employeeid employeetype "
    "givenname id jobtitle mail mailnickname officelocation surname userprincipalname usertype"
)
ADVANCED_OPERATORS = names("ne not endswith")
EXTENSION_NAMES = tuple(f"extensionAttribute{index}" for index in range(1, 16))

GROUP_DEFAULT = tuple(
    sorted(
        names(
            "id deletedDateTime classification createdDateTime creationOptions description "
            "displayName expirationDateTime groupTypes isAssignableToRole mail mailEnabled "
            "mailNickname membershipRule membershipRuleProcessingState onPremisesDomainName "
            "onPremisesLastSyncDateTime onPremisesNetBiosName onPremisesSamAccountName "
            "onPremisesSecurityIdentifier onPremisesSyncEnabled preferredDataLocation "
            "preferredLanguage proxyAddresses renewedDateTime resourceBehaviorOptions "
            "resourceProvisioningOptions securityEnabled securityIdentifier theme visibility "
            "onPremisesProvisioningErrors serviceProvisioningErrors"
        )
    )
)
GROUP_PROPERTIES = frozenset(GROUP_DEFAULT)

EVENT_READ_ONLY = names(
    "bodyPreview changeKey createdDateTime hasAttachments iCalUId id isCancelled isDraft "
    "isOrganizer lastModifiedDateTime onlineMeeting onlineMeetingUrl organizer "
    "originalEndTimeZone originalStart originalStartTimeZone responseStatus seriesMasterId "
    "type webLink occurrenceId"
)
EVENT_WRITABLE = names(
    "allowNewTimeProposals attendees body categories end hideAttendees importance isAllDay "
    "isOnlineMeeting isReminderOn location locations onlineMeetingProvider recurrence "
    "reminderMinutesBeforeStart responseRequested sensitivity showAs start subject "
    "transactionId"
)
EVENT_NAVIGATION = names(
    "attachments calendar extensions instances multiValueExtendedProperties "
    "singleValueExtendedProperties"
)
EVENT_PROPERTIES = EVENT_READ_ONLY | EVENT_WRITABLE | EVENT_NAVIGATION
EVENT_ENUMS = {
    "showAs": names("free tentative busy oof workingElsewhere unknown"),
    "sensitivity": names("normal personal private confidential"),
    "importance": names("low normal high"),
    "onlineMeetingProvider": names("unknown teamsForBusiness skypeForBusiness skypeForConsumer"),
}
EVENT_BOOLEANS = names(
    "allowNewTimeProposals hideAttendees isAllDay isOnlineMeeting isReminderOn responseRequested"
)
# Changes to these make Exchange send meeting updates to attendees.
MEETING_FIELDS = names(
    "start end location locations subject body attendees isOnlineMeeting onlineMeetingProvider"
)
RESPONSES = names("none accepted declined tentativelyAccepted")
LOCATION_FIELDS = names(
    "displayName locationEmailAddress address coordinates locationUri locationType uniqueId "
    "uniqueIdType"
)

MESSAGE_WRITABLE = names(
    "bccRecipients body categories ccRecipients flag from importance inferenceClassification "
    "internetMessageHeaders internetMessageId isDeliveryReceiptRequested isRead "
    "isReadReceiptRequested replyTo sender subject toRecipients"
)
MESSAGE_READ_ONLY = names(
    "bodyPreview changeKey conversationId conversationIndex createdDateTime hasAttachments id "
    "isDraft lastModifiedDateTime parentFolderId receivedDateTime sentDateTime uniqueBody "
    "webLink"
)
MESSAGE_NAVIGATION = names(
    "attachments extensions multiValueExtendedProperties singleValueExtendedProperties"
)
MESSAGE_PROPERTIES = MESSAGE_WRITABLE | MESSAGE_READ_ONLY | MESSAGE_NAVIGATION
# Returned only when selected (message resource: "Returned only on applying a $select").
MESSAGE_SELECT_ONLY = names("internetMessageHeaders uniqueBody")
