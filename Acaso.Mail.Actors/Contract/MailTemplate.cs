namespace Acaso.Mail.Actors.Contract;

/// <summary>The five Brevo templates the producer asks for, by their Brevo template id.</summary>
public enum MailTemplate
{
    ConfirmationToMentor = 7,
    ConfirmationToMentored = 9,
    NotifySubscribedUsersNotSelected = 10,
    NotifySubscribedUsersMentoringCanceled = 11,
    NotifyMentorOfMentoredLeaving = 16,
}

/// <summary>One Brevo template param and where its value comes from.</summary>
internal enum TemplateParam
{
    MentorName,
    MentoringDate,
    MentoringHour,
    MentoredName,
    MentoredId,
    MentorId,
    MentoringDateLimit,
}

/// <summary>The contract's table: which params each template takes, in the order Brevo receives them.</summary>
internal static class TemplateParams
{
    public static IReadOnlyList<TemplateParam> For(MailTemplate template) => template switch
    {
        MailTemplate.ConfirmationToMentor =>
            [TemplateParam.MentorName, TemplateParam.MentoringDate, TemplateParam.MentoringHour, TemplateParam.MentoredName, TemplateParam.MentoredId],
        MailTemplate.ConfirmationToMentored =>
            [TemplateParam.MentorName, TemplateParam.MentoringDate, TemplateParam.MentoringHour, TemplateParam.MentoredName, TemplateParam.MentorId],
        MailTemplate.NotifySubscribedUsersNotSelected =>
            [TemplateParam.MentorName, TemplateParam.MentoringDate, TemplateParam.MentoringHour, TemplateParam.MentoredName],
        MailTemplate.NotifySubscribedUsersMentoringCanceled =>
            [TemplateParam.MentorName, TemplateParam.MentorId, TemplateParam.MentoringDate, TemplateParam.MentoringHour, TemplateParam.MentoredName],
        MailTemplate.NotifyMentorOfMentoredLeaving =>
            [TemplateParam.MentorName, TemplateParam.MentoredName, TemplateParam.MentoringDateLimit, TemplateParam.MentoringDate, TemplateParam.MentoringHour],
        _ => throw new ArgumentOutOfRangeException(nameof(template), template, "not a contract template"),
    };

    public static string WireName(TemplateParam param) => param switch
    {
        TemplateParam.MentorName => "MENTOR_NAME",
        TemplateParam.MentoringDate => "MENTORING_DATE",
        TemplateParam.MentoringHour => "MENTORING_HOUR",
        TemplateParam.MentoredName => "MENTORED_NAME",
        TemplateParam.MentoredId => "MENTORED_ID",
        TemplateParam.MentorId => "MENTOR_ID",
        TemplateParam.MentoringDateLimit => "MENTORING_DATE_LIMIT",
        _ => throw new ArgumentOutOfRangeException(nameof(param)),
    };
}
