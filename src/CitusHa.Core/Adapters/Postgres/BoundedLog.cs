namespace CitusHa.Core.Adapters.Postgres;

/// <summary>The last lines a child process printed, for error messages; bounded so a chatty server cannot grow it.</summary>
internal sealed class BoundedLog
{
    private readonly Queue<string> lines = new();
    private readonly object gate = new();

    public void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (gate)
        {
            lines.Enqueue(line);
            while (lines.Count > 50)
            {
                lines.Dequeue();
            }
        }
    }

    public string Tail(int count = 5)
    {
        lock (gate)
        {
            return string.Join(" | ", lines.TakeLast(count));
        }
    }
}
