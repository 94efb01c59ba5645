using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Acaso.Mail.Actors.Operator;

/// <summary>
/// The console's words in the operator's language: Brazilian Portuguese when the browser's <c>Accept-Language</c>
/// prefers Portuguese to English, English otherwise. Each text is written in English in the page code and looked up
/// here; dates are shown in the language's own format and the service's zone (<c>MAIL_TIMEZONE</c>).
/// </summary>
public sealed class ConsoleText
{
    /// <summary>English, the default.</summary>
    public static readonly ConsoleText English = new(CultureInfo.GetCultureInfo("en-US"), "en", null);

    /// <summary>Brazilian Portuguese.</summary>
    public static readonly ConsoleText Portuguese = new(CultureInfo.GetCultureInfo("pt-BR"), "pt-BR", PortugueseWords());

    private readonly IReadOnlyDictionary<string, string>? _words;

    private ConsoleText(CultureInfo culture, string language, IReadOnlyDictionary<string, string>? words)
    {
        Culture = culture;
        Language = language;
        _words = words;
    }

    /// <summary>Numbers and dates are formatted in this culture.</summary>
    public CultureInfo Culture { get; }

    /// <summary>The page's <c>lang</c>.</summary>
    public string Language { get; }

    /// <summary>Every English text the pages use that has a Portuguese one (the specs check that each page's text is here).</summary>
    public static IReadOnlyCollection<string> Known => (IReadOnlyCollection<string>)Portuguese._words!.Keys;

    /// <summary><paramref name="english"/> in this language.</summary>
    public string this[string english] => _words is not null && _words.TryGetValue(english, out var word) ? word : english;

    /// <summary>The language the request's <c>Accept-Language</c> prefers among the two (ties go to the first listed).</summary>
    public static ConsoleText For(HttpRequest request)
    {
        var best = request.GetTypedHeaders().AcceptLanguage
            .Select((value, index) => (Tag: value.Value.ToString(), Quality: value.Quality ?? 1, Index: index))
            .Where(l => l.Quality > 0 && (IsPortuguese(l.Tag) || l.Tag.StartsWith("en", StringComparison.OrdinalIgnoreCase)))
            .OrderByDescending(l => l.Quality).ThenBy(l => l.Index)
            .FirstOrDefault();
        return best.Tag is { } tag && IsPortuguese(tag) ? Portuguese : English;
    }

    /// <summary>An instant in the service's zone, in this language's short date and long time (seconds tell a history's lines apart).</summary>
    public string When(DateTimeOffset instant, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(instant, zone).ToString("G", Culture);

    /// <summary>An instant's time of day only (today's page).</summary>
    public string Time(DateTimeOffset instant, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(instant, zone).ToString("t", Culture);

    /// <summary>A number in this language's digits grouping.</summary>
    public string Number(double value) => value.ToString("#,0.##", Culture);

    private static bool IsPortuguese(string tag) => tag.Equals("pt", StringComparison.OrdinalIgnoreCase) || tag.StartsWith("pt-", StringComparison.OrdinalIgnoreCase);

    private static Dictionary<string, string> PortugueseWords() => new(StringComparer.Ordinal)
    {
        ["Acaso Mail console"] = "Console do Acaso Mail",
        ["Skip to the content"] = "Pular para o conteúdo",
        ["Today"] = "Hoje",
        ["Dead letters"] = "Mensagens mortas",
        ["Suppressions"] = "Supressões",
        ["History"] = "Histórico",
        ["Sign out"] = "Sair",
        ["Sign in"] = "Entrar",
        ["Password"] = "Senha",
        ["Wrong password."] = "Senha incorreta.",
        ["Too many tries from this address: wait a minute."] = "Tentativas demais deste endereço: espere um minuto.",
        ["Budget"] = "Orçamento",
        ["Spent today"] = "Gasto hoje",
        ["Left today"] = "Restante hoje",
        ["Daily limit"] = "Limite diário",
        ["Window tokens left"] = "Fichas restantes na janela",
        ["Borrowed from coming windows"] = "Emprestadas das próximas janelas",
        ["Next window"] = "Próxima janela",
        ["End-of-day flush"] = "Envio do fim do dia",
        ["Unlimited mode: no daily budget."] = "Modo ilimitado: sem orçamento diário.",
        ["Queue"] = "Fila",
        ["Ready in the queue"] = "Prontas na fila",
        ["Priority at the head"] = "Prioridade no início",
        ["empty"] = "vazia",
        ["Dead-lettered since start, by reason"] = "Mortas desde o início, por motivo",
        ["Today's windows"] = "Janelas de hoje",
        ["Mails sent in each hour of today; the darker part went on the urgent lane."] =
            "E-mails enviados em cada hora de hoje; a parte mais escura foi pela via urgente.",
        ["sent"] = "enviados",
        ["urgent"] = "urgentes",
        ["Cluster"] = "Cluster",
        ["This node runs alone."] = "Este nó roda sozinho.",
        ["Member"] = "Membro",
        ["Status"] = "Estado",
        ["holds the budget keeper"] = "guarda o orçamento",
        ["this node"] = "este nó",
        ["unreachable"] = "inalcançável",
        ["Operators' changes"] = "Alterações dos operadores",
        ["None kept."] = "Nenhuma registrada.",
        ["None."] = "Nenhuma.",
        ["When"] = "Quando",
        ["Reason"] = "Motivo",
        ["Detail"] = "Detalhe",
        ["Priority"] = "Prioridade",
        ["Template"] = "Modelo",
        ["Recipient"] = "Destinatário",
        ["Count"] = "Quantidade",
        ["All reasons"] = "Todos os motivos",
        ["Filter"] = "Filtrar",
        ["Replay"] = "Reenviar",
        ["Discard"] = "Descartar",
        ["Replay every letter of this reason"] = "Reenviar todas deste motivo",
        ["Confirm"] = "Confirmar",
        ["Cancel"] = "Cancelar",
        ["Replay this letter? It goes back to the queue with its priority and is sent when a token allows."] =
            "Reenviar esta mensagem? Ela volta para a fila com sua prioridade e é enviada quando houver ficha.",
        ["Discard this letter for good? It will not be sent."] = "Descartar esta mensagem de vez? Ela não será enviada.",
        ["Replay every letter of this reason? They go back to the queue with their priorities."] =
            "Reenviar todas as mensagens deste motivo? Elas voltam para a fila com suas prioridades.",
        ["letters replayed"] = "mensagens reenviadas",
        ["letter discarded"] = "mensagem descartada",
        ["No such letter: it was replayed or discarded already."] = "Mensagem não encontrada: já foi reenviada ou descartada.",
        ["The broker cannot be reached: try again in a moment."] = "O broker não responde: tente de novo em instantes.",
        ["The broker or the database does not answer: try again in a moment."] = "O broker ou o banco de dados não responde: tente de novo em instantes.",
        ["letters in the queue"] = "mensagens na fila",
        ["Address"] = "Endereço",
        ["Since"] = "Desde",
        ["Source"] = "Origem",
        ["Search"] = "Buscar",
        ["Add"] = "Adicionar",
        ["Remove"] = "Remover",
        ["Add an address"] = "Adicionar um endereço",
        ["suppressed addresses"] = "endereços suprimidos",
        ["added"] = "adicionado",
        ["removed"] = "removido",
        ["That is not an e-mail address."] = "Isso não é um endereço de e-mail.",
        ["The address was not on the list."] = "O endereço não estava na lista.",
        ["E-mail address"] = "Endereço de e-mail",
        ["Show"] = "Mostrar",
        ["No mail to this address is in the history."] = "Nenhum e-mail para este endereço no histórico.",
        ["Mail"] = "E-mail",
        ["Event"] = "Evento",
        ["taken"] = "retirado da fila",
        ["delivered"] = "entregue",
        ["dead_lettered"] = "enviado às mensagens mortas",
        ["hard_bounce"] = "rejeição permanente",
        ["soft_bounce"] = "rejeição temporária",
        ["opened"] = "aberto",
        ["click"] = "clicado",
        ["spam"] = "denunciado como spam",
        ["blocked"] = "bloqueado",
        ["invalid_email"] = "endereço inválido",
        ["unsubscribed"] = "descadastrado",
        ["deferred"] = "adiado",
        ["request"] = "pedido",
        ["replayed"] = "reenviado",
        ["discarded"] = "descartado",
        ["suppression_added"] = "supressão adicionada",
        ["suppression_removed"] = "supressão removida",
        ["dead_letters_replayed"] = "mensagens mortas reenviadas",
        ["dead_letter_discarded"] = "mensagem morta descartada",
        ["Kept for"] = "Guardado por",
        ["days"] = "dias",
        ["Page not found."] = "Página não encontrada.",
    };
}
