using Acaso.Mail.Actors.Contract;

namespace Acaso.Mail.Actors.Tests.Contract;

/// <summary>The old team's three cases of the producer's priority function, and the samples' own priorities.</summary>
public sealed class MentoringPrioritySpecs
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_mentoring_250_days_ahead_should_get_priority_1() =>
        Assert.Equal(1, MentoringPriority.For(Now.AddDays(250), Now));

    [Fact]
    public void A_mentoring_taken_as_now_should_get_priority_200()
    {
        // As in the old team's test: the mentoring is datetime.now(), read an instant before the function reads its own.
        Assert.Equal(200, MentoringPriority.For(Now.AddMilliseconds(-1), Now));
    }

    [Fact]
    public void A_mentoring_two_days_ago_should_get_priority_202() =>
        Assert.Equal(202, MentoringPriority.For(Now.AddDays(-2).AddMilliseconds(-1), Now));

    [Fact]
    public void Each_day_further_ahead_should_be_one_less() =>
        Assert.Equal(190, MentoringPriority.For(Now.AddDays(10).AddMilliseconds(-1), Now));
}
